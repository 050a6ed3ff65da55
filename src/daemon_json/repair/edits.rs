//! Byte-range edits applied all at once, and the map from offsets in the edited text back to
//! offsets in the text it came from (so every note can point into the user's original file).

/// Replace `start..end` of the text with `text` (an insertion when the range is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Edit {
    pub fn new(start: usize, end: usize, text: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }
}

/// One applied edit: where its replacement sits in the output and what it replaced.
#[derive(Debug, Clone, Copy)]
struct Seg {
    out_start: usize,
    out_len: usize,
    in_start: usize,
    in_len: usize,
}

/// Maps byte offsets of an edited text back to the text before the edits.
#[derive(Debug, Clone, Default)]
pub(super) struct OffsetMap {
    segs: Vec<Seg>,
}

impl OffsetMap {
    /// The input offset for output offset `o`. An offset inside a replacement maps to the start
    /// of what it replaced; elsewhere the map is a shift.
    pub fn to_input(&self, o: usize) -> usize {
        let i = self.segs.partition_point(|s| s.out_start <= o);
        let Some(s) = i.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return o;
        };
        if o < s.out_start + s.out_len {
            s.in_start
        } else {
            s.in_start + s.in_len + (o - s.out_start - s.out_len)
        }
    }
}

/// The result of [`apply`].
#[derive(Debug)]
pub(super) struct Applied {
    pub text: String,
    pub map: OffsetMap,
    /// Indices (into the edits given) of edits dropped because a wider edit covered them.
    pub dropped: Vec<usize>,
    /// Output offsets where text was deleted (an edit with an empty replacement).
    pub deleted_at: Vec<usize>,
}

/// Apply `edits` to `text`. Edits are sorted by start (at one place: insertions first, in the
/// order given, then the widest range); an edit inside a wider one is dropped (and reported in
/// [`Applied::dropped`]), as is one that overlaps another only partly or does not fall on
/// character boundaries.
pub(super) fn apply(text: &str, edits: &[Edit]) -> Applied {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| {
        edits
            .get(i)
            .map(|e| (e.start, e.end != e.start, std::cmp::Reverse(e.end)))
    });
    let mut out = String::with_capacity(text.len() + 64);
    let mut map = OffsetMap::default();
    let mut dropped = Vec::new();
    let mut deleted_at = Vec::new();
    let mut copied = 0;
    for i in order {
        let Some(e) = edits.get(i) else { continue };
        let fits = e.start <= e.end
            && e.start >= copied
            && text.is_char_boundary(e.start)
            && text.is_char_boundary(e.end);
        let (Some(before), true) = (text.get(copied..e.start), fits) else {
            dropped.push(i);
            continue;
        };
        out.push_str(before);
        map.segs.push(Seg {
            out_start: out.len(),
            out_len: e.text.len(),
            in_start: e.start,
            in_len: e.end - e.start,
        });
        if e.text.is_empty() && e.end > e.start {
            deleted_at.push(out.len());
        }
        out.push_str(&e.text);
        copied = e.end;
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    Applied {
        text: out,
        map,
        dropped,
        deleted_at,
    }
}

/// The edits that remove the lines of `text` a deletion made blank (`deleted_at`, from
/// [`apply`]): a line holding only a comment, or only a trailing comma, disappears with its line
/// break. Lines that were blank before are not touched.
pub(super) fn blank_line_removals(text: &str, deleted_at: &[usize]) -> Vec<Edit> {
    let b = text.as_bytes();
    let mut out: Vec<Edit> = Vec::new();
    // One forward sweep (the offsets are sorted): each line is looked at once.
    let (mut line_start, mut scanned) = (0, 0);
    let mut checked: Option<usize> = None;
    for &at in deleted_at {
        let at = at.min(b.len()).max(scanned);
        if let Some(i) = b
            .get(scanned..at)
            .and_then(|s| s.iter().rposition(|&c| c == b'\n'))
        {
            line_start = scanned + i + 1;
        }
        scanned = at;
        if checked == Some(line_start) {
            continue;
        }
        checked = Some(line_start);
        let rest = b.get(line_start..).unwrap_or_default();
        let blank_len = rest
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\r'))
            .count();
        let end = match rest.get(blank_len) {
            Some(b'\n') => line_start + blank_len + 1,
            None => b.len(),
            Some(_) => continue,
        };
        if end > line_start {
            out.push(Edit::new(line_start, end, ""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_sorted_edits_and_maps_offsets_back() {
        let text = "abcdefghij";
        let edits = vec![
            Edit::new(5, 7, "XYZ"), // fg -> XYZ
            Edit::new(1, 1, "++"),  // insert before b
            Edit::new(2, 3, ""),    // delete c
            Edit::new(5, 6, "no"),  // inside the wider edit at 5..7: dropped
        ];
        let a = apply(text, &edits);
        assert_eq!(a.text, "a++bdeXYZhij");
        assert_eq!(a.dropped, vec![3]);
        assert_eq!(a.deleted_at, vec![4]);
        // (output offset, input offset)
        for (o, i) in [
            (0, 0),
            (1, 1),
            (2, 1),
            (3, 1),
            (4, 3),
            (5, 4),
            (6, 5),
            (8, 5),
            (9, 7),
        ] {
            assert_eq!(a.map.to_input(o), i, "output offset {o}");
        }
    }

    #[test]
    fn insertion_and_removal_at_the_same_place_both_apply() {
        let a = apply("x, y", &[Edit::new(1, 2, ""), Edit::new(1, 1, "!")]);
        assert_eq!(a.text, "x! y");
        assert!(a.dropped.is_empty());
    }

    #[test]
    fn blank_lines_left_by_deletions_go() {
        let text = "{\n\n  \"a\": 1\n  \n}\n";
        // A deletion on line 2 (now empty) and on line 4 (now two spaces); line 3 untouched.
        let e = blank_line_removals(text, &[2, 13]);
        assert_eq!(e, vec![Edit::new(2, 3, ""), Edit::new(12, 15, "")]);
        assert_eq!(apply(text, &e).text, "{\n  \"a\": 1\n}\n");
        // A line with content stays; the last line without a newline is emptied.
        assert!(blank_line_removals("{} \n", &[2]).is_empty());
        assert_eq!(
            blank_line_removals("{}\n  ", &[5]),
            vec![Edit::new(3, 5, "")]
        );
    }
}
