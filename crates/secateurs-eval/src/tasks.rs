//! Zero-shot multiple-choice tasks, built exactly as lm-evaluation-harness's task
//! YAML files build them (prompt, target delimiter " ", answer choices, gold index;
//! WinoGrande's partial scoring: one context per option, the shared rest of the
//! sentence scored), plus an offline analogy task from `questions-words.txt`.
//! Each task is data: its dataset file on the hub, whether it reports `acc_norm`,
//! and a pure function from one dataset row to a [`Question`].

use serde_json::Value;

use crate::{Error, Request};

/// One multiple-choice question: one request per choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Context and continuation per choice.
    pub requests: Vec<Request>,
    /// The choices' texts (their lengths normalise `acc_norm`).
    pub choices: Vec<String>,
    /// Index of the correct choice.
    pub gold: usize,
}

/// A question from one dataset row, or what is wrong with the row.
pub type BuildFn = fn(&Value) -> Result<Question, String>;

/// A task, as data.
#[derive(Debug)]
pub struct Task {
    /// The name lm-eval uses.
    pub name: &'static str,
    /// Hub dataset holding the evaluation split.
    pub repo: &'static str,
    /// The evaluation split's file in that repository (Parquet).
    pub file: &'static str,
    /// lm-eval's task version.
    pub version: f64,
    /// Whether lm-eval reports `acc_norm` for it.
    pub acc_norm: bool,
    /// Row → question.
    pub build: BuildFn,
}

/// The paper's seven tasks and PIQA, in lm-eval's definitions (split: test when the
/// task has one, else validation).
pub const TASKS: [Task; 8] = [
    Task { name: "boolq", repo: "aps/super_glue", file: "boolq/validation-00000-of-00001.parquet", version: 2.0, acc_norm: false, build: boolq },
    Task { name: "rte", repo: "nyu-mll/glue", file: "rte/validation-00000-of-00001.parquet", version: 1.0, acc_norm: false, build: rte },
    Task { name: "hellaswag", repo: "Rowan/hellaswag", file: "data/validation-00000-of-00001.parquet", version: 1.0, acc_norm: true, build: hellaswag },
    Task { name: "winogrande", repo: "allenai/winogrande", file: "winogrande_xl/validation-00000-of-00001.parquet", version: 1.0, acc_norm: false, build: winogrande },
    Task { name: "arc_easy", repo: "allenai/ai2_arc", file: "ARC-Easy/test-00000-of-00001.parquet", version: 1.0, acc_norm: true, build: arc },
    Task { name: "arc_challenge", repo: "allenai/ai2_arc", file: "ARC-Challenge/test-00000-of-00001.parquet", version: 1.0, acc_norm: true, build: arc },
    Task { name: "openbookqa", repo: "allenai/openbookqa", file: "main/test-00000-of-00001.parquet", version: 1.0, acc_norm: true, build: openbookqa },
    Task { name: "piqa", repo: "baber/piqa", file: "data/validation-00000-of-00001.parquet", version: 1.0, acc_norm: true, build: piqa },
];

/// The task of that name; the error lists the known ones.
pub fn task(name: &str) -> Result<&'static Task, Error> {
    TASKS.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = TASKS.iter().map(|t| t.name).chain(["analogy"]).collect();
        Error::Invalid(format!("unknown task '{name}'; expected one of: {}", names.join(", ")))
    })
}

impl Task {
    /// Questions from dataset rows, the first `limit` if given.
    pub fn questions(&self, rows: &[Value], limit: Option<usize>) -> Result<Vec<Question>, Error> {
        rows.iter()
            .take(limit.unwrap_or(usize::MAX))
            .enumerate()
            .map(|(index, row)| (self.build)(row).map_err(|message| Error::Document { task: self.name.into(), index, message }))
            .collect()
    }
}

fn text<'a>(row: &'a Value, field: &str) -> Result<&'a str, String> {
    row.get(field).and_then(Value::as_str).ok_or_else(|| format!("missing text field '{field}'"))
}

/// An integer label stored as a number or a string ("0").
fn label(row: &Value, field: &str) -> Result<usize, String> {
    match row.get(field) {
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("missing integer label '{field}'"))
}

/// Context + " " + each choice.
fn with_choices(context: String, choices: Vec<String>, gold: usize) -> Result<Question, String> {
    if gold >= choices.len() {
        return Err(format!("gold index {gold} out of {} choices", choices.len()));
    }
    let requests = choices.iter().map(|c| Request { context: context.clone(), continuation: format!(" {c}") }).collect();
    Ok(Question { requests, choices, gold })
}

fn boolq(row: &Value) -> Result<Question, String> {
    let context = format!("{}\nQuestion: {}?\nAnswer:", text(row, "passage")?, text(row, "question")?);
    with_choices(context, vec!["no".into(), "yes".into()], label(row, "label")?)
}

fn rte(row: &Value) -> Result<Question, String> {
    let context = format!("{}\nQuestion: {} True or False?\nAnswer:", text(row, "sentence1")?, text(row, "sentence2")?);
    with_choices(context, vec!["True".into(), "False".into()], label(row, "label")?)
}

/// HellaSwag's `preprocess`: strip, " [title]" → ". ", drop `[...]`, "  " → " ".
pub fn hellaswag_preprocess(text: &str) -> String {
    let text = text.trim().replace(" [title]", ". ");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('[') {
        match rest[open..].find(']') {
            Some(close) => {
                out.push_str(&rest[..open]);
                rest = &rest[open + close + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out.replace("  ", " ")
}

/// Python's `str.capitalize`: first character upper-cased, the rest lower-cased.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

fn hellaswag(row: &Value) -> Result<Question, String> {
    let ctx = format!("{} {}", text(row, "ctx_a")?, capitalize(text(row, "ctx_b")?));
    let query = hellaswag_preprocess(&format!("{}: {ctx}", text(row, "activity_label")?));
    let endings = row.get("endings").and_then(Value::as_array).ok_or("missing list 'endings'")?;
    let choices = endings.iter().map(|e| e.as_str().map(hellaswag_preprocess).ok_or("non-text ending")).collect::<Result<Vec<_>, _>>()?;
    with_choices(query, choices, label(row, "label")?)
}

fn winogrande(row: &Value) -> Result<Question, String> {
    let sentence = text(row, "sentence")?;
    let blank = sentence.find('_').ok_or("sentence has no '_'")?;
    let target = sentence[blank + 1..].trim();
    let options = [text(row, "option1")?, text(row, "option2")?];
    let gold = match text(row, "answer")? {
        "1" => 0,
        "2" => 1,
        other => return Err(format!("answer '{other}' is neither \"1\" nor \"2\"")),
    };
    let choices: Vec<String> = options.iter().map(|o| format!("{}{o}", &sentence[..blank])).collect();
    let requests = choices.iter().map(|c| Request { context: c.clone(), continuation: format!(" {target}") }).collect();
    Ok(Question { requests, choices, gold })
}

/// `choices.text` and the index of `key` in `choices.label`.
fn labelled_choices(row: &Value, key: &str) -> Result<(Vec<String>, usize), String> {
    let choices = row.get("choices").ok_or("missing 'choices'")?;
    let strings = |field: &str| -> Result<Vec<String>, String> {
        choices.get(field).and_then(Value::as_array).ok_or(format!("missing 'choices.{field}'"))?.iter().map(|v| v.as_str().map(str::to_owned).ok_or(format!("non-text in 'choices.{field}'"))).collect()
    };
    let (texts, labels) = (strings("text")?, strings("label")?);
    let gold = labels.iter().position(|l| l == key).ok_or(format!("answer key '{key}' not among labels {labels:?}"))?;
    Ok((texts, gold))
}

fn arc(row: &Value) -> Result<Question, String> {
    let (choices, gold) = labelled_choices(row, text(row, "answerKey")?)?;
    with_choices(format!("Question: {}\nAnswer:", text(row, "question")?), choices, gold)
}

fn openbookqa(row: &Value) -> Result<Question, String> {
    let (choices, gold) = labelled_choices(row, text(row, "answerKey")?.trim_start())?;
    with_choices(text(row, "question_stem")?.to_owned(), choices, gold)
}

fn piqa(row: &Value) -> Result<Question, String> {
    let context = format!("Question: {}\nAnswer:", text(row, "goal")?);
    with_choices(context, vec![text(row, "sol1")?.to_owned(), text(row, "sol2")?.to_owned()], label(row, "label")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contexts(q: &Question) -> Vec<(&str, &str)> {
        q.requests.iter().map(|r| (r.context.as_str(), r.continuation.as_str())).collect()
    }

    #[test]
    fn boolq_and_rte_prompts() {
        let q = boolq(&json!({"passage": "Ethanol fuel -- All biomass goes through at least some of these steps.", "question": "does ethanol take more energy make that produces", "label": 0, "idx": 0})).expect("boolq");
        let context = "Ethanol fuel -- All biomass goes through at least some of these steps.\nQuestion: does ethanol take more energy make that produces?\nAnswer:";
        assert_eq!(contexts(&q), [(context, " no"), (context, " yes")]);
        assert_eq!(q.gold, 0);
        let q = rte(&json!({"sentence1": "No Weapons of Mass Destruction Found in Iraq Yet.", "sentence2": "Weapons of Mass Destruction Found in Iraq.", "label": 1})).expect("rte");
        let context = "No Weapons of Mass Destruction Found in Iraq Yet.\nQuestion: Weapons of Mass Destruction Found in Iraq. True or False?\nAnswer:";
        assert_eq!(contexts(&q), [(context, " True"), (context, " False")]);
        assert_eq!(q.gold, 1);
    }

    #[test]
    fn hellaswag_prompt_and_preprocessing() {
        let row = json!({
            "activity_label": "Removing ice from car",
            "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.",
            "ctx_b": "then",
            "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men supporting the head of the person wearing winter clothes snow as the we girls sled.", ", the man puts on a christmas coat, knitted with netting.", ", the man continues removing the snow on his car."],
            "label": "3",
        });
        let q = hellaswag(&row).expect("hellaswag");
        let context = "Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then";
        assert_eq!(q.requests[3], Request { context: context.into(), continuation: " , the man continues removing the snow on his car.".into() });
        assert_eq!(q.gold, 3);
        assert_eq!(hellaswag_preprocess(" How to clean [title] Use a [step] cloth.  Done "), "How to clean. Use a cloth. Done");
        assert_eq!(capitalize("tHEN he"), "Then he");
    }

    #[test]
    fn winogrande_scores_the_rest_of_the_sentence_after_each_option() {
        let row = json!({"sentence": "Sarah was a much better surgeon than Maria so _ always got the harder cases.", "option1": "Sarah", "option2": "Maria", "answer": "1"});
        let q = winogrande(&row).expect("winogrande");
        assert_eq!(contexts(&q), [
            ("Sarah was a much better surgeon than Maria so Sarah", " always got the harder cases."),
            ("Sarah was a much better surgeon than Maria so Maria", " always got the harder cases."),
        ]);
        assert_eq!(q.gold, 0);
    }

    #[test]
    fn arc_openbookqa_and_piqa_prompts() {
        let row = json!({"id": "Mercury_7175875", "question": "An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?",
            "choices": {"text": ["Planetary density will decrease.", "Planetary years will become longer.", "Planetary days will become shorter.", "Planetary gravity will become stronger."], "label": ["A", "B", "C", "D"]}, "answerKey": "C"});
        let q = arc(&row).expect("arc");
        assert_eq!(q.requests[2].context, "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:");
        assert_eq!((q.requests[2].continuation.as_str(), q.gold), (" Planetary days will become shorter.", 2));
        let row = json!({"id": "7-980", "question_stem": "The sun is responsible for", "choices": {"text": ["puppies learning new tricks", "children growing up and getting old", "flowers wilting in a vase", "plants sprouting, blooming and wilting"], "label": ["A", "B", "C", "D"]}, "answerKey": " D"});
        let q = openbookqa(&row).expect("openbookqa");
        assert_eq!((q.requests[0].context.as_str(), q.gold), ("The sun is responsible for", 3));
        let row = json!({"goal": "When boiling butter, when it's ready, you can", "sol1": "Pour it onto a plate", "sol2": "Pour it into a jar", "label": 1});
        let q = piqa(&row).expect("piqa");
        assert_eq!(contexts(&q), [("Question: When boiling butter, when it's ready, you can\nAnswer:", " Pour it onto a plate"), ("Question: When boiling butter, when it's ready, you can\nAnswer:", " Pour it into a jar")]);
    }

    #[test]
    fn malformed_rows_and_unknown_tasks_are_named() {
        let err = task("boolq").expect("boolq").questions(&[json!({"passage": "p"})], None).expect_err("no question");
        assert_eq!(err.to_string(), "task boolq, document 0: missing text field 'question'");
        let err = task("mmlu").expect_err("unknown");
        assert!(err.to_string().starts_with("unknown task 'mmlu'; expected one of: boolq, rte, hellaswag"), "{err}");
    }
}
