//! Splitting long texts the way Telegram counts them: in UTF-16 code units (an emoji outside
//! the Basic Multilingual Plane counts two).

/// The length of `text` as Telegram counts it.
///
/// ```
/// assert_eq!(unibox_channel_telegram::utf16_length("สวัสดี"), 6);
/// assert_eq!(unibox_channel_telegram::utf16_length("👍"), 2);
/// ```
pub fn utf16_length(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// `text` in parts of at most `limit` UTF-16 code units, cut after the last line break in the
/// second half of a part, else after the last whitespace there, else at the limit (never inside
/// a character). Joined, the parts are `text`.
pub(crate) fn split(text: &str, limit: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_length(rest) > limit {
        let mut units = 0;
        let mut hard = rest.len();
        let (mut line_break, mut space) = (None, None);
        for (at, c) in rest.char_indices() {
            let width = c.len_utf16();
            if units + width > limit {
                hard = at;
                break;
            }
            units += width;
            let after = at + c.len_utf8();
            if c == '\n' {
                line_break = Some(after);
            } else if c.is_whitespace() {
                space = Some(after);
            }
        }
        let in_second_half = |at: &usize| *at > hard / 2;
        let cut = line_break.filter(in_second_half).or(space.filter(in_second_half)).unwrap_or(hard);
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_one_part() {
        assert_eq!(split("hello", 4096), ["hello"]);
        assert_eq!(split("", 4096), [""]);
    }

    #[test]
    fn parts_count_utf16_units_and_never_split_a_character() {
        let text = "👍".repeat(3000); // 6,000 UTF-16 units
        let parts = split(&text, 4096);
        assert_eq!(parts.len(), 2);
        assert_eq!(utf16_length(parts[0]), 4096);
        assert_eq!(parts.concat(), text);
        let odd = format!("a{}", "👍".repeat(3000));
        let parts = split(&odd, 4096);
        assert_eq!(utf16_length(parts[0]), 4095, "a surrogate pair is never cut");
        assert_eq!(parts.concat(), odd);
    }

    #[test]
    fn parts_end_at_a_line_break_or_a_space_when_one_is_near() {
        let paragraph = format!("{}\n", "word ".repeat(500)); // 2,501 units
        let text = paragraph.repeat(3);
        let parts = split(&text, 4096);
        assert!(parts.iter().all(|p| utf16_length(p) <= 4096));
        assert_eq!(parts[0], paragraph.as_str(), "cut after the line break");
        let words = "word ".repeat(1000);
        let parts = split(&words, 4096);
        assert!(parts[0].ends_with(' ') && utf16_length(parts[0]) <= 4096);
        assert_eq!(parts.concat(), words);
    }
}
