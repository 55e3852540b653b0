//! A `twinscape` process for tests that read what it prints.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A `twinscape` process, killed on drop, with the ports it printed.
pub struct Proc {
    pub child: Child,
    pub http: Option<u16>,
    pub tcp: Option<u16>,
    pub ws: Option<u16>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `twinscape ARGS` and reads its stdout until `last` appears.
pub fn twinscape(args: &[&str], last: &str) -> Proc {
    twinscape_at(env!("CARGO_BIN_EXE_twinscape"), args, last)
}

/// The same with these environment variables set.
pub fn twinscape_env(args: &[&str], env: &[(&str, &str)], last: &str) -> Proc {
    let mut command = Command::new(env!("CARGO_BIN_EXE_twinscape"));
    command.envs(env.iter().copied());
    read_ports(command, args, last)
}

/// The same with another build of the binary (a release build, for benchmarks).
pub fn twinscape_at(bin: &str, args: &[&str], last: &str) -> Proc {
    read_ports(Command::new(bin), args, last)
}

fn read_ports(mut command: Command, args: &[&str], last: &str) -> Proc {
    let mut child = command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut proc = Proc {
        child,
        http: None,
        tcp: None,
        ws: None,
    };
    let port_after = |line: &str, prefix: &str| -> Option<u16> {
        let rest = line.strip_prefix(prefix)?;
        rest.trim_end_matches(['/'])
            .split(['/'])
            .next()?
            .parse()
            .ok()
    };
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("twinscape {args:?} ended before printing \"{last}\""))
            .unwrap();
        proc.tcp = proc.tcp.or(port_after(
            &line,
            "embedded MQTT broker listening on mqtt://127.0.0.1:",
        ));
        proc.ws = proc.ws.or(port_after(
            &line,
            "embedded MQTT broker WebSocket on ws://127.0.0.1:",
        ));
        proc.http = proc.http.or(port_after(&line, "open http://127.0.0.1:"));
        if line.starts_with(last) {
            break;
        }
    }
    // Keep reading, so the process never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    proc
}

/// An `ingest` counter of a snapshot.
pub fn counter(s: &Value, name: &str) -> u64 {
    s["ingest"][name].as_u64().unwrap_or(0)
}
