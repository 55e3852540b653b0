//! A lossless outline of a RON document: where each value starts and ends,
//! and the named fields and items inside each `( )`, `[ ]` and `{ }`, with
//! comments and strings skipped as text. An edit replaces one value's bytes
//! and leaves every other byte of the file as it was.

use super::EditError;

/// A value's place in the text: `start..end` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

/// One value: an atom (number, string, identifier), or a group, possibly
/// named (`Some(1.0)`, `Prefab("x")`, `(a: 1)`, `[1, 2]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Span,
    /// The group's items; empty for an atom.
    pub items: Vec<Item>,
    /// `(`, `[` or `{` for a group; None for an atom.
    pub open: Option<u8>,
    /// Where the group's closing bracket is.
    pub close: usize,
}

/// An item of a group: `key: value`, or a bare value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub key: Option<String>,
    /// Where the item starts (its key, or its value).
    pub start: usize,
    /// Where its key's text ends and where its `:` is (keyed items).
    pub key_end: usize,
    pub colon: Option<usize>,
    pub value: Node,
    /// Where the comma after it is, if it has one.
    pub comma: Option<usize>,
}

impl Node {
    /// The value of field `key`, if this group has it.
    pub fn field(&self, key: &str) -> Option<&Node> {
        self.items
            .iter()
            .find(|i| i.key.as_deref() == Some(key))
            .map(|i| &i.value)
    }

    /// The text of an atom without its quotes, for comparing ids and names.
    pub fn unquoted<'t>(&self, text: &'t str) -> &'t str {
        let raw = &text[self.span.start..self.span.end];
        raw.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(raw)
    }
}

/// Parses `text` into the outline of its one top-level value.
pub(crate) fn parse(text: &str) -> Result<Node, EditError> {
    let mut p = Parser {
        text: text.as_bytes(),
        src: text,
        at: 0,
    };
    p.skip_space()?;
    // Inner attributes such as `#![enable(implicit_some)]`.
    while p.text[p.at..].starts_with(b"#!") {
        p.at += 2;
        if p.peek() != Some(b'[') {
            return Err(p.error("expected `[` after `#!`"));
        }
        p.group(p.at)?;
        p.skip_space()?;
    }
    let node = p.value()?;
    p.skip_space()?;
    if p.at != p.text.len() {
        return Err(p.error("text after the scene's closing bracket"));
    }
    Ok(node)
}

struct Parser<'t> {
    text: &'t [u8],
    src: &'t str,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> EditError {
        let before = &self.text[..self.at.min(self.text.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        EditError::Syntax {
            line,
            col,
            what: what.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips white space and comments (`//` to the line's end, `/* */`
    /// nested as RON allows).
    fn skip_space(&mut self) -> Result<(), EditError> {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.at += 1,
                Some(b'/') if matches!(self.text.get(self.at + 1), Some(b'/' | b'*')) => {
                    self.at = comment_end(self.text, self.at).map_err(|end| {
                        self.at = end;
                        self.error("a comment that never ends")
                    })?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self) -> Result<Node, EditError> {
        let start = self.at;
        match self.peek() {
            Some(b'(' | b'[' | b'{') => self.group(start),
            Some(b'"') => {
                self.string()?;
                Ok(self.atom(start))
            }
            Some(b'r') if matches!(self.text.get(self.at + 1), Some(b'"' | b'#')) => {
                self.raw_string()?;
                Ok(self.atom(start))
            }
            Some(b'\'') => {
                self.at += 1;
                while let Some(b) = self.peek() {
                    self.at += 1;
                    match b {
                        b'\\' => self.at += 1,
                        b'\'' => return Ok(self.atom(start)),
                        _ => {}
                    }
                }
                Err(self.error("a character that never ends"))
            }
            Some(b) if is_word(b) => {
                while self.peek().is_some_and(is_word) {
                    self.at += 1;
                }
                // A named group: `Some(…)`, `Prefab("x")`, `Point(x: 1)`.
                if self.peek() == Some(b'(') {
                    return self.group(start);
                }
                Ok(self.atom(start))
            }
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("the text ends where a value should be")),
        }
    }

    fn atom(&self, start: usize) -> Node {
        Node {
            span: Span {
                start,
                end: self.at,
            },
            items: vec![],
            open: None,
            close: self.at,
        }
    }

    fn string(&mut self) -> Result<(), EditError> {
        self.at += 1;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => return Ok(()),
                _ => {}
            }
        }
        Err(self.error("a string that never ends"))
    }

    fn raw_string(&mut self) -> Result<(), EditError> {
        self.at += 1;
        let hashes = self.text[self.at..]
            .iter()
            .take_while(|&&b| b == b'#')
            .count();
        self.at += hashes;
        if self.peek() != Some(b'"') {
            return Err(self.error("expected `\"` in a raw string"));
        }
        self.at += 1;
        let end: Vec<u8> = std::iter::once(b'"')
            .chain(std::iter::repeat_n(b'#', hashes))
            .collect();
        match self.text[self.at..]
            .windows(end.len())
            .position(|w| w == end.as_slice())
        {
            Some(i) => {
                self.at += i + end.len();
                Ok(())
            }
            None => Err(self.error("a raw string that never ends")),
        }
    }

    /// A group from its bracket (after its name, if any) to the matching one.
    fn group(&mut self, start: usize) -> Result<Node, EditError> {
        let open = self.text[self.at];
        let closer = match open {
            b'(' => b')',
            b'[' => b']',
            _ => b'}',
        };
        self.at += 1;
        let mut items = vec![];
        loop {
            self.skip_space()?;
            match self.peek() {
                Some(b) if b == closer => break,
                None => return Err(self.error("a bracket that is never closed")),
                _ => {}
            }
            items.push(self.item()?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => {
                    if let Some(item) = items.last_mut() {
                        item.comma = Some(self.at);
                    }
                    self.at += 1;
                }
                Some(b) if b == closer => break,
                _ => return Err(self.error("expected `,` or a closing bracket")),
            }
        }
        let close = self.at;
        self.at += 1;
        Ok(Node {
            span: Span {
                start,
                end: self.at,
            },
            items,
            open: Some(open),
            close,
        })
    }

    /// `key: value`, `"map key": value`, or a bare value.
    fn item(&mut self) -> Result<Item, EditError> {
        let start = self.at;
        let first = self.value()?;
        self.skip_space()?;
        if self.peek() != Some(b':') {
            return Ok(Item {
                key: None,
                start,
                key_end: start,
                colon: None,
                value: first,
                comma: None,
            });
        }
        let colon = self.at;
        self.at += 1;
        self.skip_space()?;
        let value = self.value()?;
        Ok(Item {
            key: Some(first.unquoted(self.src).to_string()),
            start,
            key_end: first.span.end,
            colon: Some(colon),
            value,
            comma: None,
        })
    }
}

/// Where the comment at `at` (`//` or `/*`) ends: at its line's end (the
/// newline not included), or after its `*/` (nested `/* */` counted);
/// `Err(text's end)` for a block comment that never ends.
pub(crate) fn comment_end(text: &[u8], at: usize) -> Result<usize, usize> {
    if text[at..].starts_with(b"//") {
        return Ok(text[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| at + i));
    }
    let (mut i, mut depth) = (at, 0);
    while i < text.len() {
        if text[i..].starts_with(b"/*") {
            (depth, i) = (depth + 1, i + 2);
        } else if text[i..].starts_with(b"*/") {
            (depth, i) = (depth - 1, i + 2);
            if depth == 0 {
                return Ok(i);
            }
        } else {
            i += 1;
        }
    }
    Err(text.len())
}

/// Whether `b` is part of a number, identifier or named group's name.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_items_and_comments_have_their_places() {
        let text = "// head\n(\n  name: \"a // not a comment\", /* x ( */\n  \
                    list: [1, -2.5e3, Some(3)],\n  map: {\"k\": (a: 'c')},\n  raw: r#\"q\"#,\n)\n";
        let root = parse(text).unwrap();
        let at = |n: &Node| &text[n.span.start..n.span.end];
        assert_eq!(at(root.field("name").unwrap()), "\"a // not a comment\"");
        let list = root.field("list").unwrap();
        let items: Vec<&str> = list.items.iter().map(|i| at(&i.value)).collect();
        assert_eq!(items, ["1", "-2.5e3", "Some(3)"]);
        assert_eq!(list.items[2].value.items.len(), 1);
        let map = root.field("map").unwrap();
        assert_eq!(map.items[0].key.as_deref(), Some("k"));
        assert_eq!(at(map.items[0].value.field("a").unwrap()), "'c'");
        assert_eq!(at(root.field("raw").unwrap()), "r#\"q\"#");
        assert_eq!(&text[root.close..=root.close], ")");
    }

    #[test]
    fn attributes_at_the_start_and_commas_in_comments() {
        let text = "#![enable(implicit_some)]\n(a: 1 /* , */, b: 2 // c, d\n)";
        let root = parse(text).unwrap();
        let a = &root.items[0];
        assert_eq!(&text[a.comma.unwrap()..], ", b: 2 // c, d\n)");
        assert_eq!(root.items[1].comma, None);
    }

    #[test]
    fn broken_text_says_where() {
        let e = parse("(\n  a: [1, 2,\n").unwrap_err();
        assert_eq!(e.to_string(), "3:1: a bracket that is never closed");
        let e = parse("(a: \"x)").unwrap_err();
        assert_eq!(e.to_string(), "1:8: a string that never ends");
        let e = parse("(a: 1 b: 2)").unwrap_err();
        assert_eq!(e.to_string(), "1:7: expected `,` or a closing bracket");
        let e = parse("(a: 1) x").unwrap_err();
        assert_eq!(e.to_string(), "1:8: text after the scene's closing bracket");
    }

    #[test]
    fn every_shipped_scene_outlines() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let root = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(root.field("twins").is_some() || root.field("city").is_some());
        }
    }
}
