//! `key=value&key=value` query strings as `evhttp_parse_query_str` reads
//! them: keys verbatim, values percent-decoded with `+` as space.

use super::escape::{decode, Plus};

/// A query's pairs, in order.
pub type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Why a query was refused: an argument without `=` or with an empty key
/// (libevent keeps none of the pairs then).
#[derive(Debug, PartialEq, Eq)]
pub struct BadQuery;

/// Parses a query string; an empty one has no pairs. Parsing stops at the
/// end or at an `&` that ends the string (`a=1&` is one pair), while an
/// empty argument in the middle (`a=1&&b=2`) is refused.
pub fn parse(q: &[u8]) -> Result<Pairs, BadQuery> {
    let mut pairs = Vec::new();
    let mut rest = q;
    while !rest.is_empty() {
        let (arg, next) = match rest.iter().position(|&c| c == b'&') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let eq = arg.iter().position(|&c| c == b'=').ok_or(BadQuery)?;
        if eq == 0 {
            return Err(BadQuery);
        }
        pairs.push((arg[..eq].to_vec(), decode(&arg[eq + 1..], Plus::Space)));
        rest = next;
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
        (k.into(), v.into())
    }

    #[test]
    fn pairs() {
        assert_eq!(parse(b""), Ok(vec![]));
        assert_eq!(
            parse(b"a=1&b=x+y%21&c="),
            Ok(vec![p("a", "1"), p("b", "x y!"), p("c", "")])
        );
        assert_eq!(parse(b"a=1&"), Ok(vec![p("a", "1")]));
        assert_eq!(parse(b"k%20=v=w"), Ok(vec![p("k%20", "v=w")]));
        assert_eq!(parse(b"a=1&&b=2"), Err(BadQuery));
        assert_eq!(parse(b"a"), Err(BadQuery));
        assert_eq!(parse(b"=1"), Err(BadQuery));
        assert_eq!(parse(b"&"), Err(BadQuery));
    }
}
