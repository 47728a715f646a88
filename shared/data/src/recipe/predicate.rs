//! The row-filter predicate language: comparisons of a column with a literal, combined with
//! `and`, `or`, `not` and parentheses, parsed into an AST and turned into a polars expression.
//!
//! Grammar (keywords are case-insensitive):
//! ```text
//! predicate  := or_expr
//! or_expr    := and_expr ("or" and_expr)*
//! and_expr   := unary ("and" unary)*
//! unary      := "not" unary | "(" or_expr ")" | comparison
//! comparison := column ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") literal
//!             | column "is" ["not"] "null"
//!             | column                      (a boolean column: true rows)
//! column     := identifier | `any name in backticks`
//! literal    := number | 'text' | "text" | true | false
//! ```
//! The text is never evaluated as code: only this grammar is accepted, and a parse error names
//! the character position where it stopped.

use polars::prelude::{Expr, col, lit};

/// A parsed predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// Both sides hold.
    And(Box<Predicate>, Box<Predicate>),
    /// Either side holds.
    Or(Box<Predicate>, Box<Predicate>),
    /// The inner predicate does not hold.
    Not(Box<Predicate>),
    /// `column op literal`.
    Compare {
        /// The column compared.
        column: String,
        /// The comparison.
        op: Comparison,
        /// The literal compared with.
        literal: Literal,
    },
    /// A boolean column on its own: rows where it is true.
    Truthy(String),
    /// `column is null` (or `is not null` when `negated`).
    IsNull {
        /// The column tested.
        column: String,
        /// Whether the test is `is not null`.
        negated: bool,
    },
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A whole number.
    Integer(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// Quoted text.
    Text(String),
    /// `true` or `false`.
    Boolean(bool),
}

/// Where and why a predicate did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateError {
    /// Zero-based character position in the predicate text.
    pub position: usize,
    /// What was expected or found.
    pub reason: String,
}

impl std::fmt::Display for PredicateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at character {}: {}", self.position, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// A backticked name: always a column, even when it spells a keyword (`is`, `and`, ...).
    Column(String),
    Quoted(String),
    Number(String),
    Op(Comparison),
    Open,
    Close,
}

/// Parses predicate text into its AST.
pub fn parse(text: &str) -> Result<Predicate, PredicateError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        end: text.chars().count(),
    };
    let predicate = parser.or_expr()?;
    match parser.peek() {
        None => Ok(predicate),
        Some((position, token)) => Err(PredicateError {
            position,
            reason: format!("unexpected {} after a complete predicate", describe(token)),
        }),
    }
}

impl Predicate {
    /// The columns the predicate reads, in order of appearance, each once.
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.visit_columns(&mut out);
        out
    }

    fn visit_columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                a.visit_columns(out);
                b.visit_columns(out);
            }
            Predicate::Not(inner) => inner.visit_columns(out),
            Predicate::Compare { column, .. }
            | Predicate::IsNull { column, .. }
            | Predicate::Truthy(column) => {
                if !out.contains(&column.as_str()) {
                    out.push(column);
                }
            }
        }
    }

    /// The columns used on their own as booleans, for type checks.
    pub fn truthy_columns(&self) -> Vec<&str> {
        match self {
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                let mut out = a.truthy_columns();
                out.extend(b.truthy_columns());
                out
            }
            Predicate::Not(inner) => inner.truthy_columns(),
            Predicate::Truthy(column) => vec![column.as_str()],
            Predicate::Compare { .. } | Predicate::IsNull { .. } => Vec::new(),
        }
    }

    /// The comparisons in the predicate, for type checks.
    pub fn comparisons(&self) -> Vec<(&str, Comparison, &Literal)> {
        let mut out = Vec::new();
        self.visit_comparisons(&mut out);
        out
    }

    fn visit_comparisons<'a>(&'a self, out: &mut Vec<(&'a str, Comparison, &'a Literal)>) {
        match self {
            Predicate::And(a, b) | Predicate::Or(a, b) => {
                a.visit_comparisons(out);
                b.visit_comparisons(out);
            }
            Predicate::Not(inner) => inner.visit_comparisons(out),
            Predicate::Compare {
                column,
                op,
                literal,
            } => out.push((column, *op, literal)),
            Predicate::IsNull { .. } | Predicate::Truthy(_) => {}
        }
    }

    /// The polars expression for the predicate. Date and datetime columns compare with text
    /// literals after the literal is cast to the column's type, which `temporal_columns` lists.
    pub fn to_expr(&self, temporal_columns: &[(String, polars::prelude::DataType)]) -> Expr {
        match self {
            Predicate::And(a, b) => a.to_expr(temporal_columns).and(b.to_expr(temporal_columns)),
            Predicate::Or(a, b) => a.to_expr(temporal_columns).or(b.to_expr(temporal_columns)),
            Predicate::Not(inner) => inner.to_expr(temporal_columns).not(),
            Predicate::Truthy(column) => col(column.as_str()),
            Predicate::IsNull { column, negated } => {
                if *negated {
                    col(column.as_str()).is_not_null()
                } else {
                    col(column.as_str()).is_null()
                }
            }
            Predicate::Compare {
                column,
                op,
                literal,
            } => {
                let mut right = match literal {
                    Literal::Integer(v) => lit(*v),
                    Literal::Float(v) => lit(*v),
                    Literal::Text(v) => lit(v.clone()),
                    Literal::Boolean(v) => lit(*v),
                };
                if let Some((_, dtype)) = temporal_columns.iter().find(|(name, _)| name == column) {
                    right = right.cast(dtype.clone());
                }
                let left = col(column.as_str());
                match op {
                    Comparison::Eq => left.eq(right),
                    Comparison::NotEq => left.neq(right),
                    Comparison::Lt => left.lt(right),
                    Comparison::LtEq => left.lt_eq(right),
                    Comparison::Gt => left.gt(right),
                    Comparison::GtEq => left.gt_eq(right),
                }
            }
        }
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Ident(name) => format!("word '{name}'"),
        Token::Column(name) => format!("column `{name}`"),
        Token::Quoted(text) => format!("text '{text}'"),
        Token::Number(text) => format!("number {text}"),
        Token::Op(_) => "comparison operator".to_owned(),
        Token::Open => "'('".to_owned(),
        Token::Close => "')'".to_owned(),
    }
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, PredicateError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        let start = at;
        if c.is_whitespace() {
            at += 1;
            continue;
        }
        let token = match c {
            '(' => {
                at += 1;
                Token::Open
            }
            ')' => {
                at += 1;
                Token::Close
            }
            '=' | '!' | '<' | '>' => {
                let next = chars.get(at + 1).copied();
                let (op, width) = match (c, next) {
                    ('=', Some('=')) => (Comparison::Eq, 2),
                    ('=', _) => (Comparison::Eq, 1),
                    ('!', Some('=')) => (Comparison::NotEq, 2),
                    ('<', Some('>')) => (Comparison::NotEq, 2),
                    ('<', Some('=')) => (Comparison::LtEq, 2),
                    ('<', _) => (Comparison::Lt, 1),
                    ('>', Some('=')) => (Comparison::GtEq, 2),
                    ('>', _) => (Comparison::Gt, 1),
                    _ => {
                        return Err(PredicateError {
                            position: start,
                            reason: "'!' must be followed by '='".to_owned(),
                        });
                    }
                };
                at += width;
                Token::Op(op)
            }
            '\'' | '"' | '`' => {
                let (content, after) = quoted(&chars, at, c)?;
                at = after;
                if c == '`' {
                    Token::Column(content)
                } else {
                    Token::Quoted(content)
                }
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut end = at + 1;
                while let Some(&d) = chars.get(end) {
                    let after_exponent = matches!(chars.get(end.wrapping_sub(1)), Some('e' | 'E'));
                    if d.is_ascii_digit()
                        || d == '.'
                        || d == 'e'
                        || d == 'E'
                        || ((d == '-' || d == '+') && after_exponent)
                    {
                        end += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars.get(at..end).unwrap_or_default().iter().collect();
                at = end;
                Token::Number(text)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = at + 1;
                while chars
                    .get(end)
                    .is_some_and(|d| d.is_alphanumeric() || *d == '_')
                {
                    end += 1;
                }
                let word: String = chars.get(at..end).unwrap_or_default().iter().collect();
                at = end;
                Token::Ident(word)
            }
            other => {
                return Err(PredicateError {
                    position: start,
                    reason: format!("unexpected character '{other}'"),
                });
            }
        };
        tokens.push((start, token));
    }
    Ok(tokens)
}

/// Reads a quoted run starting at `open`; a doubled quote inside stands for one quote.
fn quoted(chars: &[char], open: usize, quote: char) -> Result<(String, usize), PredicateError> {
    let mut content = String::new();
    let mut at = open + 1;
    loop {
        match chars.get(at) {
            None => {
                return Err(PredicateError {
                    position: open,
                    reason: format!("unterminated {quote}-quoted text"),
                });
            }
            Some(&c) if c == quote => {
                if chars.get(at + 1) == Some(&quote) {
                    content.push(quote);
                    at += 2;
                } else {
                    return Ok((content, at + 1));
                }
            }
            Some(&c) => {
                content.push(c);
                at += 1;
            }
        }
    }
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<(usize, &Token)> {
        self.tokens
            .get(self.next)
            .map(|(position, token)| (*position, token))
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |(position, _)| position)
    }

    fn take(&mut self) -> Option<(usize, Token)> {
        let token = self.tokens.get(self.next).cloned();
        if token.is_some() {
            self.next += 1;
        }
        token
    }

    fn keyword(&mut self, word: &str) -> bool {
        if let Some((_, Token::Ident(found))) = self.peek()
            && found.eq_ignore_ascii_case(word)
        {
            self.next += 1;
            return true;
        }
        false
    }

    fn or_expr(&mut self) -> Result<Predicate, PredicateError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            let right = self.and_expr()?;
            left = Predicate::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Predicate, PredicateError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            let right = self.unary()?;
            left = Predicate::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Predicate, PredicateError> {
        if self.keyword("not") {
            return Ok(Predicate::Not(Box::new(self.unary()?)));
        }
        if let Some((_, Token::Open)) = self.peek() {
            self.next += 1;
            let inner = self.or_expr()?;
            return match self.take() {
                Some((_, Token::Close)) => Ok(inner),
                Some((position, token)) => Err(PredicateError {
                    position,
                    reason: format!("expected ')', found {}", describe(&token)),
                }),
                None => Err(PredicateError {
                    position: self.end,
                    reason: "missing ')'".to_owned(),
                }),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Predicate, PredicateError> {
        let position = self.position();
        let column = match self.take() {
            Some((_, Token::Ident(name))) if !is_keyword(&name) => name,
            Some((_, Token::Column(name))) => name,
            Some((position, token)) => {
                return Err(PredicateError {
                    position,
                    reason: format!("expected a column name, found {}", describe(&token)),
                });
            }
            None => {
                return Err(PredicateError {
                    position,
                    reason: "expected a column name".to_owned(),
                });
            }
        };
        if self.keyword("is") {
            let negated = self.keyword("not");
            if self.keyword("null") {
                return Ok(Predicate::IsNull { column, negated });
            }
            return Err(PredicateError {
                position: self.position(),
                reason: "expected 'null' after 'is'".to_owned(),
            });
        }
        let op = match self.peek() {
            Some((_, Token::Op(op))) => {
                let op = *op;
                self.next += 1;
                op
            }
            None | Some((_, Token::Close)) => return Ok(Predicate::Truthy(column)),
            Some((_, Token::Ident(word)))
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") =>
            {
                return Ok(Predicate::Truthy(column));
            }
            _ => match self.take() {
                Some((position, token)) => {
                    return Err(PredicateError {
                        position,
                        reason: format!(
                            "expected a comparison operator, found {}",
                            describe(&token)
                        ),
                    });
                }
                None => {
                    return Err(PredicateError {
                        position: self.end,
                        reason: "expected a comparison operator".to_owned(),
                    });
                }
            },
        };
        let literal = self.literal()?;
        Ok(Predicate::Compare {
            column,
            op,
            literal,
        })
    }

    fn literal(&mut self) -> Result<Literal, PredicateError> {
        match self.take() {
            Some((_, Token::Quoted(text))) => Ok(Literal::Text(text)),
            Some((position, Token::Number(text))) => {
                if let Ok(v) = text.parse::<i64>() {
                    Ok(Literal::Integer(v))
                } else if let Ok(v) = text.parse::<f64>()
                    && v.is_finite()
                {
                    Ok(Literal::Float(v))
                } else {
                    Err(PredicateError {
                        position,
                        reason: format!("'{text}' is not a number"),
                    })
                }
            }
            Some((_, Token::Ident(word))) if word.eq_ignore_ascii_case("true") => {
                Ok(Literal::Boolean(true))
            }
            Some((_, Token::Ident(word))) if word.eq_ignore_ascii_case("false") => {
                Ok(Literal::Boolean(false))
            }
            Some((position, token)) => Err(PredicateError {
                position,
                reason: format!(
                    "expected a literal (number, quoted text, true, false), found {}; \
                     compare with null using 'is null'",
                    describe(&token)
                ),
            }),
            None => Err(PredicateError {
                position: self.end,
                reason: "expected a literal".to_owned(),
            }),
        }
    }
}

fn is_keyword(word: &str) -> bool {
    ["and", "or", "not", "is", "null", "true", "false"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cmp(column: &str, op: Comparison, literal: Literal) -> Predicate {
        Predicate::Compare {
            column: column.to_owned(),
            op,
            literal,
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let parsed = parse("a = 1 or b > 2.5 and not c is null").unwrap();
        let expected = Predicate::Or(
            Box::new(cmp("a", Comparison::Eq, Literal::Integer(1))),
            Box::new(Predicate::And(
                Box::new(cmp("b", Comparison::Gt, Literal::Float(2.5))),
                Box::new(Predicate::Not(Box::new(Predicate::IsNull {
                    column: "c".to_owned(),
                    negated: false,
                }))),
            )),
        );
        assert_eq!(parsed, expected);
    }

    #[test]
    fn a_bare_column_means_its_true_rows() {
        let parsed = parse("not active and (flag)").unwrap();
        let expected = Predicate::And(
            Box::new(Predicate::Not(Box::new(Predicate::Truthy(
                "active".to_owned(),
            )))),
            Box::new(Predicate::Truthy("flag".to_owned())),
        );
        assert_eq!(parsed, expected);
    }

    #[test]
    fn parentheses_quotes_and_backticks() {
        let parsed = parse("(`unit price` <= -3) AND name != 'O''Brien'").unwrap();
        let expected = Predicate::And(
            Box::new(cmp("unit price", Comparison::LtEq, Literal::Integer(-3))),
            Box::new(cmp(
                "name",
                Comparison::NotEq,
                Literal::Text("O'Brien".to_owned()),
            )),
        );
        assert_eq!(parsed, expected);
        assert_eq!(parsed.columns(), vec!["unit price", "name"]);
    }

    #[test]
    fn a_backticked_column_named_like_a_keyword_is_a_column() {
        // Regression: `is` in backticks was read as the keyword, so `is` is null failed to parse.
        assert_eq!(
            parse("not (`is` is null and `a` >= 0)").unwrap(),
            Predicate::Not(Box::new(Predicate::And(
                Box::new(Predicate::IsNull {
                    column: "is".into(),
                    negated: false
                }),
                Box::new(Predicate::Compare {
                    column: "a".into(),
                    op: Comparison::GtEq,
                    literal: Literal::Integer(0)
                }),
            )))
        );
        assert!(parse("is is null").is_err());
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(parse("a = ").unwrap_err().position, 4);
        assert_eq!(parse("a 1").unwrap_err().position, 2);
        assert_eq!(parse("a = 1 b").unwrap_err().position, 6);
        assert_eq!(parse("(a = 1").unwrap_err().reason, "missing ')'");
        assert_eq!(parse("a ; 1").unwrap_err().position, 2);
        assert!(parse("a = null").unwrap_err().reason.contains("is null"));
        assert_eq!(parse("a = 'open").unwrap_err().position, 4);
        assert!(parse("").is_err());
    }

    fn literal_strategy() -> impl Strategy<Value = Literal> {
        prop_oneof![
            any::<i64>().prop_map(Literal::Integer),
            (-1.0e6f64..1.0e6).prop_map(Literal::Float),
            "[a-z' ]{0,8}".prop_map(Literal::Text),
            any::<bool>().prop_map(Literal::Boolean),
        ]
    }

    fn render(p: &Predicate) -> String {
        match p {
            Predicate::And(a, b) => format!("({} and {})", render(a), render(b)),
            Predicate::Or(a, b) => format!("({} or {})", render(a), render(b)),
            Predicate::Not(a) => format!("not {}", render(a)),
            Predicate::IsNull { column, negated } => {
                format!("`{column}` is {}null", if *negated { "not " } else { "" })
            }
            Predicate::Truthy(column) => format!("`{column}`"),
            Predicate::Compare {
                column,
                op,
                literal,
            } => {
                let op = match op {
                    Comparison::Eq => "=",
                    Comparison::NotEq => "!=",
                    Comparison::Lt => "<",
                    Comparison::LtEq => "<=",
                    Comparison::Gt => ">",
                    Comparison::GtEq => ">=",
                };
                let literal = match literal {
                    Literal::Integer(v) => v.to_string(),
                    Literal::Float(v) => format!("{v:?}"),
                    Literal::Text(v) => format!("'{}'", v.replace('\'', "''")),
                    Literal::Boolean(v) => v.to_string(),
                };
                format!("`{column}` {op} {literal}")
            }
        }
    }

    fn predicate_strategy() -> impl Strategy<Value = Predicate> {
        let leaf = prop_oneof![
            ("[a-z][a-z0-9 ]{0,6}", literal_strategy()).prop_map(|(column, literal)| {
                Predicate::Compare {
                    column,
                    op: Comparison::GtEq,
                    literal,
                }
            }),
            ("[a-z][a-z0-9]{0,6}", any::<bool>())
                .prop_map(|(column, negated)| Predicate::IsNull { column, negated }),
            "[a-z][a-z0-9]{0,6}".prop_map(Predicate::Truthy),
        ];
        leaf.prop_recursive(4, 16, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Predicate::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Predicate::Or(Box::new(a), Box::new(b))),
                inner.prop_map(|a| Predicate::Not(Box::new(a))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn rendered_predicates_parse_back_to_the_same_tree(p in predicate_strategy()) {
            prop_assert_eq!(parse(&render(&p)).unwrap(), p);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text);
        }
    }
}
