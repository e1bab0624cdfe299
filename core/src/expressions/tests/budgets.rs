//! No input panics, and none takes more than the budgets allow.

use super::*;

/// Deterministic random choices (xorshift64), so a failing case can be replayed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A random expression, well formed, of the features users combine.
    fn expression(&mut self, depth: usize) -> String {
        const ATOMS: &[&str] = &[
            "trigger.parameters.replicas",
            "trigger.parameters.env",
            "parameters.regions",
            "execution.stages",
            "#stage('Deploy')",
            "#stage('Bake').context",
            "previousVersion",
            "trigger.buildInfo.number",
            "'3'",
            "'a,b'",
            "''",
            "'[a-'",
            "'(a)|b*'",
            "-1",
            "0",
            "2.5",
            "9223372036854775807",
            "null",
            "true",
            "{1, 'a'}",
            "{a: 1, 'b': {}}",
            "#root",
        ];
        const OPERATORS: &[&str] = &[
            "+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "matches", "?:", "and",
            "div", "gt",
        ];
        const METHODS: &[&str] = &[
            "size()",
            "substring(E)",
            "charAt(E)",
            "split(E)",
            "replaceAll(E, '$1')",
            "get(E)",
            "contains(E)",
            "keySet()",
            "toUpperCase()",
            "equals(E)",
            "indexOf(E)",
            "trim()",
        ];
        const FUNCTIONS: &[&str] = &[
            "#toInt",
            "#toFloat",
            "#toBoolean",
            "#toJson",
            "#readJson",
            "#alphanumerical",
            "#stage",
            "#judgment",
        ];
        if depth == 0 {
            return self.pick(ATOMS).to_string();
        }
        let mut inner = || self.expression(depth - 1);
        let (a, b, c) = (inner(), inner(), inner());
        match self.below(8) {
            0 => format!("{a} {} {b}", self.pick(OPERATORS)),
            1 => format!("{}{a}", self.pick(&["-", "!", "not ", "+"])),
            2 => format!("{a} ? {b} : {c}"),
            3 => format!("({a}).{}", self.pick(METHODS).replace('E', &b)),
            4 => format!("({a})?.{}", self.pick(METHODS).replace('E', &b)),
            5 => format!("({a})[{b}]"),
            6 => format!("{}({a})", self.pick(FUNCTIONS)),
            _ => format!("{{{a}, {b}}}"),
        }
    }
}

/// The editor sends whatever is typed, and parameters reach regexes and #readJson: no input
/// may panic. Random expressions, some with a character cut out as when typing.
#[test]
fn arbitrary_input_never_panics() {
    let root = root();
    let mut random = Random(0x5eed_cafe);
    for _ in 0..5_000 {
        let depth = random.below(4);
        let mut expression: Vec<char> = random.expression(depth).chars().collect();
        if random.below(3) == 0 {
            let cut = random.below(expression.len());
            expression.remove(cut);
        }
        let expression: String = expression.into_iter().collect();
        let template = format!("x-${{{expression}}}");
        let checked = check(&template);
        let evaluated = evaluate(&template, &root);
        // A template that reads fails, if at all, only at evaluation; one that does not
        // fails in evaluate just as in check.
        match (checked, evaluated) {
            (Ok(()), Err(error)) => {
                assert_eq!(error.kind(), ErrorKind::Evaluation, "{template}: {error}")
            }
            (Err(syntax), evaluated) => assert_eq!(evaluated, Err(syntax), "{template}"),
            (Ok(()), Ok(_)) => {}
        }
    }
}

/// `#toJson` doubles its text at every level: nested deep enough it would take all memory.
/// The evaluation stops at the size budget, naming it, long before.
#[test]
fn nested_to_json_stops_at_the_size_budget() {
    let big = json!({"execution": {"stages": vec![json!({"context": {"text": "x\"y".repeat(1000)}}); 50]}});
    let mut expression = "execution".to_string();
    for _ in 0..30 {
        expression = format!("#toJson({expression})");
    }
    let error = evaluate(&format!("${{{expression}}}"), &big).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
}

/// A replacement that multiplies the text, and a regex that is quadratic for a hand-written
/// engine, end within the budgets.
#[test]
fn replacements_and_regexes_stay_within_the_budgets() {
    let root = json!({"text": "c".repeat(20_000), "long": "y".repeat(100_000)});
    let error = evaluate("${text.replace('c', long)}", &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
    let error = evaluate("${text.replaceAll('c', long)}", &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
    let replaced = evaluate("${text.replaceAll('c(.*z)?', 'd').length()}", &root);
    assert!(
        replaced == Ok(json!(20_000))
            || replaced.is_err_and(|e| e.message().contains("budget of 2 s")),
        "either done or stopped by the time budget"
    );
    // Many concatenations of a long text: every value made is measured.
    let error = evaluate(&format!("${{{}}}", vec!["long"; 60].join(" + ")), &root).unwrap_err();
    assert!(error.message().contains("budget of 4 MiB"), "{error}");
}

/// A list, a map or a method's arguments that read a big part of the root more than once are
/// measured before anything is copied; one copy, as the root holds it, is fine.
#[test]
fn gathered_values_are_measured_before_they_are_copied() {
    let root = json!({"long": "y".repeat(2_500_000), "numbers": vec![1; 500_000]});
    assert_eq!(evaluate("${{long}.size()}", &root), Ok(json!(1)));
    for expression in [
        "${{long, long}.size()}",
        "${{a: long, b: long}.size()}",
        "${'x'.replace(long, long)}",
    ] {
        let error = evaluate(expression, &root).unwrap_err();
        assert!(
            error.message().contains("budget of 4 MiB"),
            "{expression}: {error}"
        );
    }
    // Written, half a million ones take 1 MB, though each is estimated at 20 bytes.
    let text = evaluate("${#toJson(numbers).length()}", &root).expect("fits when written");
    assert_eq!(text, json!(1_000_001));
}
