//! The offline smoke-test task: word analogies from `questions-words.txt` (Mikolov et
//! al.), asked as "a is to b as c is to" with four choices — the answer and three
//! other answers from the same section — drawn and ordered by a seeded SplitMix64.

use secateurs_model::SplitMix64;

use crate::{Error, Question, Request};

/// One analogy line: `a b c d` under a section.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    section: usize,
    words: [String; 4],
}

fn parse(text: &str) -> Result<(Vec<String>, Vec<Line>), Error> {
    let mut sections = Vec::new();
    let mut lines = Vec::new();
    for (number, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if let Some(name) = raw.strip_prefix(':') {
            sections.push(name.trim().to_owned());
        } else if !raw.is_empty() {
            let words: Vec<&str> = raw.split_whitespace().collect();
            let (Ok(words), Some(section)) = (<[&str; 4]>::try_from(words), sections.len().checked_sub(1)) else {
                return Err(Error::Invalid(format!("questions-words line {}: expected 4 words under a ': section' header, got {raw:?}", number + 1)));
            };
            lines.push(Line { section, words: words.map(str::to_owned) });
        }
    }
    Ok((sections, lines))
}

/// `limit` questions (all if `None`) sampled with `seed` from the file's text.
pub fn analogy_questions(text: &str, limit: Option<usize>, seed: u64) -> Result<Vec<Question>, Error> {
    let (_, lines) = parse(text)?;
    let mut rng = SplitMix64::new(seed);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    rng.shuffle(&mut order);
    order.truncate(limit.unwrap_or(usize::MAX));
    let mut questions = Vec::with_capacity(order.len());
    for i in order {
        let line = &lines[i];
        let [a, b, c, d] = &line.words;
        let mut pool: Vec<&str> = lines.iter().filter(|l| l.section == line.section).map(|l| l.words[3].as_str()).filter(|w| !w.eq_ignore_ascii_case(d)).collect();
        pool.sort_unstable();
        pool.dedup();
        if pool.len() < 3 {
            continue;
        }
        rng.shuffle(&mut pool);
        let mut choices: Vec<String> = pool[..3].iter().map(|w| (*w).to_owned()).chain([d.clone()]).collect();
        rng.shuffle(&mut choices);
        let gold = choices.iter().position(|w| w == d).unwrap_or(0);
        let context = format!("{a} is to {b} as {c} is to");
        let requests = choices.iter().map(|w| Request { context: context.clone(), continuation: format!(" {w}") }).collect();
        questions.push(Question { requests, choices, gold });
    }
    Ok(questions)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = ": capital-common-countries\nAthens Greece Baghdad Iraq\nAthens Greece Bangkok Thailand\nAthens Greece Beijing China\nAthens Greece Berlin Germany\nAthens Greece Bern Switzerland\n: family\nboy girl brother sister\nboy girl brothers sisters\n";

    #[test]
    fn questions_are_seeded_and_draw_choices_from_their_section() {
        let a = analogy_questions(TEXT, Some(3), 7).expect("parse");
        assert_eq!(a, analogy_questions(TEXT, Some(3), 7).expect("same seed"));
        assert_ne!(a, analogy_questions(TEXT, Some(3), 8).expect("other seed"));
        // The family section has too few answers for 4 choices and is skipped.
        let all = analogy_questions(TEXT, None, 0).expect("parse");
        assert_eq!(all.len(), 5);
        for q in &all {
            assert_eq!(q.choices.len(), 4);
            assert!(q.requests[0].context.starts_with("Athens is to Greece as "), "{:?}", q.requests[0]);
            let answer = &q.choices[q.gold];
            assert!(q.requests[0].context.ends_with(" is to") && ["Iraq", "Thailand", "China", "Germany", "Switzerland"].contains(&answer.as_str()));
            let mut sorted = q.choices.clone();
            sorted.dedup();
            assert_eq!(sorted.len(), 4);
        }
        let q = all.iter().find(|q| q.requests[0].context == "Athens is to Greece as Beijing is to").expect("Beijing");
        assert_eq!(q.choices[q.gold], "China");
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = analogy_questions(": s\nA B C\n", None, 0).expect_err("3 words");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
