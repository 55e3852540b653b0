//! `scene fmt`: the canonical layout of a scene file. Only the white space
//! between values changes (and a comma at the end of a group written over
//! several lines); every value, comment and line break a person chose stays.
//!
//! The rules, applied from the file's outline:
//! - a line inside a group is indented `INDENT` spaces more than the line
//!   that opened the group; the line of its closing bracket as much as that
//!   line (two groups opened on one line close on one line, `))`);
//! - one space after `:` and `,` within a line, none inside brackets, none
//!   before `,` or `:`; one space before a comment that follows a value;
//! - at most one blank line in a row, none after an opening bracket, before
//!   a closing one or at the file's start; no white space at a line's end;
//!   one newline at the file's end;
//! - a group whose closing bracket is on a line of its own ends its last
//!   item with a comma; a group on one line does not.
//!
//! Applying it twice gives the same bytes, and the formatted scene parses to
//! the same scene as the original (checked before anything is written).

use super::EditError;
use super::outline::{self, Node, comment_end, is_word};

/// Spaces per level of indentation.
pub(crate) const INDENT: usize = 4;

/// The scene `text` in the canonical layout.
pub fn format(text: &str) -> Result<String, EditError> {
    let root = outline::parse(text)?;
    let mut f = Formatter {
        text,
        out: String::with_capacity(text.len()),
        indent: 0,
    };
    f.preamble(root.span.start);
    f.node(&root);
    f.gap(root.span.end, text.len(), Prev::Value, Next::End, 0, 0);
    let kept = f.out.trim_end().len();
    f.out.truncate(kept);
    f.out.push('\n');
    Ok(f.out)
}

/// [`format`], refused (`EditError::NotAScene`, nothing to write) when the
/// scene does not parse, or would parse to another scene once formatted.
pub fn format_checked(text: &str, file: &str) -> Result<String, EditError> {
    let parse = |t: &str| crate::scene::format::parse(t, file).map_err(|e| e.to_string());
    let before = parse(text).map_err(EditError::NotAScene)?;
    let formatted = format(text)?;
    match parse(&formatted) {
        Ok(after) if format!("{after:?}") == format!("{before:?}") => Ok(formatted),
        Ok(_) => Err(EditError::NotAScene(format!(
            "{file}: the formatted text would read as another scene (a bug in `scene fmt`; nothing written)"
        ))),
        Err(e) => Err(EditError::NotAScene(format!(
            "{file}: the formatted text would not parse (a bug in `scene fmt`; nothing written): {e}"
        ))),
    }
}

/// What a stretch of white space and comments follows.
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    Start,
    Open,
    Key,
    Colon,
    Value,
    Comma,
}

/// What it comes before.
#[derive(Clone, Copy, PartialEq)]
enum Next {
    Value,
    Colon,
    Comma,
    Close,
    End,
}

struct Formatter<'t> {
    text: &'t str,
    out: String,
    /// The indentation of the line being written.
    indent: usize,
}

impl Formatter<'_> {
    /// Attributes (`#![enable(…)]`) and comments before the scene's value:
    /// their text kept, blank lines at the start dropped.
    fn preamble(&mut self, end: usize) {
        let head = &self.text[..end];
        if head.contains("#!") {
            let lines: Vec<&str> = head.trim().lines().map(str::trim_end).collect();
            self.out.push_str(&collapse_blank_lines(&lines));
            self.out.push('\n');
        } else {
            self.gap(0, end, Prev::Start, Next::Value, 0, 0);
        }
    }

    fn node(&mut self, node: &Node) {
        let text = self.text;
        let Some(open) = node.open else {
            self.out.push_str(&text[node.span.start..node.span.end]);
            return;
        };
        let bracket = node.span.start
            + text.as_bytes()[node.span.start..]
                .iter()
                .take_while(|&&b| is_word(b))
                .count();
        self.out.push_str(&text[node.span.start..bracket]);
        self.out.push(open as char);
        let base = self.indent;
        let inner = base + INDENT;
        let last_end = node
            .items
            .last()
            .map_or(bracket + 1, |i| i.comma.unwrap_or(i.value.span.end));
        let multi_line = text[last_end..node.close].contains('\n');
        let (mut at, mut prev) = (bracket + 1, Prev::Open);
        for (n, item) in node.items.iter().enumerate() {
            self.gap(at, item.start, prev, Next::Value, inner, inner);
            if let Some(colon) = item.colon {
                self.out.push_str(&text[item.start..item.key_end]);
                self.gap(item.key_end, colon, Prev::Key, Next::Colon, inner, inner);
                self.out.push(':');
                self.gap(
                    colon + 1,
                    item.value.span.start,
                    Prev::Colon,
                    Next::Value,
                    inner,
                    inner,
                );
            }
            self.node(&item.value);
            (at, prev) = (item.value.span.end, Prev::Value);
            let last = n + 1 == node.items.len();
            match item.comma {
                Some(comma) => {
                    self.gap(at, comma, Prev::Value, Next::Comma, inner, inner);
                    if !last || multi_line {
                        self.out.push(',');
                    }
                    (at, prev) = (comma + 1, Prev::Comma);
                }
                None if last && multi_line => {
                    self.out.push(',');
                    prev = Prev::Comma;
                }
                None => {}
            }
        }
        self.gap(at, node.close, prev, Next::Close, inner, base);
        self.out.push(text.as_bytes()[node.close] as char);
    }

    /// The white space and comments in `from..to`, between a `prev` and a
    /// `next`: comments kept (on their own line at `inner`, or after a
    /// value on its line), line breaks kept (blank lines at most one), and
    /// the next token's line indented `next_indent`.
    fn gap(
        &mut self,
        from: usize,
        to: usize,
        prev: Prev,
        next: Next,
        inner: usize,
        next_indent: usize,
    ) {
        let bytes = self.text.as_bytes();
        let (mut at, mut newlines, mut wrote_comment) = (from, 0, false);
        while at < to {
            match bytes[at] {
                b'\n' => (newlines, at) = (newlines + 1, at + 1),
                b if b.is_ascii_whitespace() => at += 1,
                _ => {
                    // A comment (the outline allows nothing else here).
                    let end = comment_end(bytes, at).unwrap_or(to).min(to);
                    if newlines > 0 {
                        let first = prev == Prev::Start || (prev == Prev::Open && !wrote_comment);
                        self.new_lines(if first { 1 } else { newlines.min(2) }, inner);
                    } else if !self.out.is_empty() && !self.out.ends_with('\n') {
                        self.out.push(' ');
                    }
                    self.out.push_str(&self.text[at..end]);
                    (at, newlines, wrote_comment) = (end, 0, true);
                }
            }
        }
        if newlines > 0 {
            let tight = matches!(next, Next::Close | Next::End)
                || (matches!(prev, Prev::Open | Prev::Start) && !wrote_comment);
            self.new_lines(if tight { 1 } else { newlines.min(2) }, next_indent);
        } else if wrote_comment {
            if !matches!(next, Next::Comma | Next::Colon | Next::Close | Next::End) {
                self.out.push(' ');
            }
        } else if matches!(prev, Prev::Colon | Prev::Comma) && matches!(next, Next::Value) {
            self.out.push(' ');
        }
    }

    /// Ends the line (`count` line breaks) and indents the next one; no
    /// line breaks at the file's start.
    fn new_lines(&mut self, count: usize, indent: usize) {
        if self.out.is_empty() {
            return;
        }
        self.trim_line_end();
        for _ in 0..count {
            self.out.push('\n');
        }
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.indent = indent;
    }

    fn trim_line_end(&mut self) {
        let kept = self.out.trim_end_matches([' ', '\t', '\r']).len();
        self.out.truncate(kept);
    }
}

/// `lines` with runs of blank lines cut to one.
fn collapse_blank_lines(lines: &[&str]) -> String {
    let mut out: Vec<&str> = vec![];
    for line in lines {
        if !(line.is_empty() && out.last().is_some_and(|l| l.is_empty())) {
            out.push(line);
        }
    }
    out.join("\n")
}

#[cfg(test)]
#[path = "fmt_tests.rs"]
mod tests;
