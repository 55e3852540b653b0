//! TLS to your own broker: a mosquitto with a TLS listener and certificates
//! made by openssl. The twin trusts the CA it is given and ingests; a broker
//! whose certificate another CA signed is refused, and says why; a broker
//! that wants a client certificate gets one with --cert/--key (mutual TLS);
//! bad files and flags stop the start with what and where.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::*;

/// Runs openssl with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate it
/// signed, and a second CA that signed nothing here, in a fresh folder.
fn certificates(name: &str) -> PathBuf {
    let dir = tmp(name);
    std::fs::create_dir_all(&dir).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let mut args = vec!["req", "-x509", "-days", "2", "-subj"];
        let subj = format!("/CN=twinscape test {ca}");
        args.push(&subj);
        args.extend(ec);
        let (key, crt) = (format!("{ca}.key"), format!("{ca}.pem"));
        args.extend(["-keyout", &key, "-out", &crt]);
        openssl(&dir, &args);
    }
    for (who, ext) in [
        ("server", "subjectAltName=IP:127.0.0.1"),
        ("client", "extendedKeyUsage=clientAuth"),
    ] {
        let subj = format!("/CN=twinscape test {who}");
        let (key, csr, crt) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.pem"),
        );
        let mut args = vec!["req", "-new", "-subj", &subj];
        args.extend(ec);
        args.extend(["-keyout", &key, "-out", &csr]);
        openssl(&dir, &args);
        let extfile = format!("{who}.ext");
        std::fs::write(dir.join(&extfile), ext).unwrap();
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-extfile",
                &extfile,
                "-out",
                &crt,
            ],
        );
    }
    // mosquitto, started as root, reads its files as the user `mosquitto`.
    for key in ["server.key", "client.key"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(key), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    dir
}

/// A mosquitto with a TLS listener (its port) and a plain one for the test
/// publisher, sharing topics.
fn tls_broker(certs: &Path, client_certificate: bool) -> (Mosquitto, u16) {
    let plain = free_port();
    let broker = Mosquitto::start_with(&format!(
        "cafile {0}/ca.pem\ncertfile {0}/server.pem\nkeyfile {0}/server.key\n\
         require_certificate {client_certificate}\nallow_anonymous true\nlistener {plain} 127.0.0.1",
        certs.display()
    ));
    (broker, plain)
}

/// The headless twin for 4 s against `url` with `flags`, while a plain
/// publisher on `plain` sends cnc-1's temperature; its snapshot.
fn run(url: &str, flags: &[String], plain: u16, name: &str) -> serde_json::Value {
    let out = tmp(&format!("{name}.json"));
    let publisher = thread::spawn(move || {
        let p = Publisher::connect(plain);
        for _ in 0..30 {
            p.publish("sensor/temperature", "64.5");
            thread::sleep(Duration::from_millis(100));
        }
    });
    succeed(
        twinscape()
            .args(["headless", "--for", "4", "--broker", url])
            .args(flags)
            .arg("--snapshot")
            .arg(&out),
    );
    publisher.join().unwrap();
    read_snapshot(&out)
}

fn temperature(snap: &serde_json::Value) -> &serde_json::Value {
    &sensor_json(twin_json(snap, "cnc-1"), "temperature")["value"]
}

#[test]
fn the_twin_trusts_the_ca_it_is_given_and_refuses_a_broker_another_signed() {
    let certs = certificates("tls-one");
    let (broker, plain) = tls_broker(&certs, false);
    let url = format!("mqtts://127.0.0.1:{}", broker.port);
    let ca = |f: &str| vec!["--ca".to_string(), certs.join(f).display().to_string()];

    let snap = run(&url, &ca("ca.pem"), plain, "tls-good");
    assert_eq!(snap["ingest"]["link"], "connected", "{}", snap["ingest"]);
    assert_eq!(temperature(&snap), 64.5);

    let snap = run(&url, &ca("other-ca.pem"), plain, "tls-other-ca");
    let ingest = &snap["ingest"];
    assert_ne!(ingest["link"], "connected", "{ingest}");
    let error = ingest["last_error"].as_str().unwrap_or_default();
    assert!(
        error.to_lowercase().contains("certificate"),
        "says why: {ingest}"
    );
    assert!(temperature(&snap).is_null());
}

#[test]
fn a_broker_that_wants_a_client_certificate_gets_one_with_cert_and_key() {
    let certs = certificates("tls-mutual");
    let (broker, plain) = tls_broker(&certs, true);
    let url = format!("mqtts://127.0.0.1:{}", broker.port);
    let file = |f: &str| certs.join(f).display().to_string();

    let snap = run(
        &url,
        &["--ca".into(), file("ca.pem")],
        plain,
        "tls-no-client",
    );
    assert_ne!(snap["ingest"]["link"], "connected", "{}", snap["ingest"]);
    assert!(temperature(&snap).is_null());

    let flags = [
        "--ca",
        &file("ca.pem"),
        "--cert",
        &file("client.pem"),
        "--key",
        &file("client.key"),
    ]
    .map(String::from);
    let snap = run(&url, &flags, plain, "tls-client");
    assert_eq!(snap["ingest"]["link"], "connected", "{}", snap["ingest"]);
    assert_eq!(temperature(&snap), 64.5);
}

#[test]
fn bad_tls_files_and_flags_stop_the_start_with_what_and_where() {
    let certs = certificates("tls-bad");
    let fails = |args: &[&str], says: &str| {
        let out = twinscape()
            .args(["headless", "--for", "3"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "nothing started: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    let key = certs.join("server.key").display().to_string();
    fails(
        &[
            "--broker",
            "mqtts://127.0.0.1:1",
            "--ca",
            "/nonexistent.pem",
        ],
        "/nonexistent.pem: no PEM certificate",
    );
    fails(
        &["--broker", "mqtts://127.0.0.1:1", "--ca", &key],
        "server.key: no PEM certificate in it",
    );
    fails(
        &["--broker", "mqtt://127.0.0.1:1", "--ca", &key],
        "are for TLS: use mqtts://127.0.0.1:1",
    );
    fails(
        &["--ca", &key],
        "for an mqtts:// broker given with --broker",
    );
}
