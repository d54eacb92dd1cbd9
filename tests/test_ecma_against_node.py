"""Patterns the mock once read otherwise than ECMA-262, each with ECMA's verdict on a text.

The tables are checked against the mock's two readings of `pattern` (`ecma_regex.matches`, and a
contract check on a probe schema, where jsonschema words what jsonschema-rs refuses) without
any JavaScript engine. Where `node` is on PATH, one test also runs the whole table through its
`new RegExp(pattern, "u")`, the JSON Schema 2020-12 reading: the table itself is judged."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from mockserver.core.contracts import Contracts
from mockserver.core.ecma_regex import compiled, matches, pattern_problems
from mockserver.core.ecma_syntax import ecma_syntax_error

# (pattern, text, whether ECMA-262 finds the pattern in the text with the `u` flag)
ECMA_VERDICTS = [
    # With look-around or a back-reference, jsonschema-rs's engine read `\d`, `\w` and `\s` as
    # Unicode: an Arabic digit, `é`, a next line (U+0085) counted; U+FEFF did not.
    (r"^(?!\d)\w+$", "é", False),
    (r"^(?!\d)\w+$", "abc", True),
    (r"^(?=\w)", "é", False),
    (r"^(?=.*\d)(?=.*[a-z]).{2,}$", "a٢", False),
    (r"^(?=.*\d)(?=.*[a-z]).{2,}$", "a1", True),
    (r"^(?!.*\s).+$", "\ufeff", False),
    (r"^(?!.*\s).+$", "\x85", True),
    (r"(?<=\s)a", "\u2003a", True),
    (r"(?<=\s)a", "\x85a", False),
    (r"\b\d+\b", "٢", False),
    (r"\b\d+\b", "a 12", True),
    (r"^(\w)\1$", "éé", False),
    (r"^(\w)\1$", "zz", True),
    (r"^(.)\1[\d]$", "aa٢", False),
    (r"^(?=[\W])", "é", True),
    (r"^(?=[\D])", "٢", True),
    (r"^(?=[\S]).$", "\xa0", False),
    (r"^(?=[\s]).$", "\x85", False),
    # Within a class, `[`, `&&`, `~~` and `||` are literal: no nested class, no set operation.
    (r"^[a&&b]$", "&", True),
    (r"^[a&&b]$", "a", True),
    (r"^[a~~b]$", "~", True),
    (r"^[a~~b]$", "b", True),
    (r"^[a||b]$", "|", True),
    (r"^[a[]$", "[", True),
    (r"^[\w&]+$", "a&b", True),
    # `[]` matches nothing and `[^]` any character, a line terminator too.
    (r"^[^]$", "\n", True),
    (r"^[^]+$", "a\u2028😀", True),
    (r"^a[]", "a", False),
    (r"[]|b", "b", True),
    # A surrogate pair written as two escapes is one code point under the `u` flag.
    (r"^\uD83D\uDE00$", "😀", True),
    (r"^[\uD83D\uDE00]$", "😀", True),
    (r"^[\uD83D\uDE00]+$", "😀😀", True),
    (r"^\ud83d\ude00$", "😀", True),
    (r"^\u{1F600}$", "😀", True),
    (r"^[\u{1F600}-\u{1F64F}]$", "🙏", True),
    (r"^[\u{1F600}-\u{1F64F}]$", "🚀", False),
    (r"^\u{61}+$", "aa", True),
    # A lone surrogate (no text: the HTTP layer refuses it, a test may still hand it over) is
    # read by Python's engine, where a `\S` within a class took ECMA's white space.
    ("^[\\S]+$", "\ud800\xa0", False),
    ("^[\\S]+$", "\ud800a", True),
    ("^[^\\s]+$", "\ud800\u2003", False),
    # Escapes neither engine read as ECMA does: a control letter, a NUL, a named back-reference
    # (numbered for jsonschema-rs, `(?P<n>…)` for Python's `re`), a lone surrogate escape.
    (r"^a\cJb$", "a\nb", True),
    (r"^[\cI]$", "\t", True),
    (r"^\0$", "\x00", True),
    (r"^(?<n>a)\k<n>$", "aa", True),
    (r"^(?<n>a)\k<n>$", "ab", False),
    (r"^(?<y>\d{4})-(?<m>\d\d)\k<y>$", "2026-012026", True),
    ("^(?<n>.)\\k<n>$", "\ud800\ud800", True),
    ("^(?<n>\\p{L})$", "\ud800", False),
    (r"^\uD83D$", "😀", False),
    (r"\uD83D|a", "a", True),
    (r"^\u{41}$", "A", True),
]

# Patterns both engines read once the mock has rewritten them, Python's `re` as well as
# jsonschema-rs: `$` ends the text, `\d`, `\w` and `\b` are ASCII, `\s` is ECMA's white space,
# `.` takes no line terminator. (pattern, text, ECMA-262's verdict)
PLAIN_VERDICTS = [
    (r"^[A-Z_]+$", "NOT_FOUND", True),
    (r"^[A-Z_]+$", "NOT_FOUND\n", False),
    (r"^\d{4}$", "2026", True),
    (r"^\d{4}$", "٢٠٢٦", False),
    (r"^\D+$", "٢٠٢٦", True),  # not an ASCII digit
    (r"^[\d]+$", "١٢", False),
    (r"^[\D]+$", "٢", True),
    (r"^\w+$", "café", False),  # ECMA's word characters are ASCII
    (r"^[\w]+$", "é", False),
    (r"^\w$", "\u017f", False),  # the long s, which folds to an s: no word character
    (r"^\W$", "é", True),
    (r"^[^\w]$", "é", True),
    (r"^\s$", "\u2003", True),  # an em space is ECMA white space
    (r"^\s$", "\ufeff", True),
    (r"^[\s]$", "\ufeff", True),
    (r"^\s$", "\x1c", False),  # an information separator is not
    (r"^\S$", "\x1c", True),
    (r"^\S$", "\xa0", False),
    (r"\bx", "éx", True),  # é is no word character: a boundary before x
    (r"x\b", "xé", True),
    (r"\bx", "ax", False),
    (r"a\Bx", "ax", True),
    (r"^a.b$", "a\rb", False),  # `.` takes no line terminator
    (r"^a.b$", "a\u2028b", False),
    (r"^a.b$", "a\nb", False),
    (r"^a.b$", "aéb", True),
    (r"^a.b$", "a😀b", True),
    (r"^([^:]+|emr_id:.+)$", "emr_id:1\r2", False),
    (r"cancel", "to cancel\n", True),  # unanchored: found anywhere
]
ECMA_VERDICTS += PLAIN_VERDICTS

# (pattern, whether ECMA-262 reads it under the `u` flag). Python's `re` and the Rust engines
# read more; a provider's schema holding such a pattern is refused when it is registered.
ECMA_SYNTAX = [
    (r"(?i)^a$", False),
    (r"(?s)^.$", False),
    (r"^a\Z", False),
    (r"\Aa", False),
    (r"a{", False),
    (r"^a{,3}$", False),
    (r"^a{2,1}$", False),
    (r"a{1,2}{3}", False),
    (r"a**", False),
    (r"(?=a)*", False),
    (r"]", False),
    (r"}", False),
    (r"[]a]", False),
    (r"^\-$", False),
    (r"^\:$", False),
    (r"^\_$", False),
    (r"^\01$", False),
    (r"^\00$", False),
    (r"^[\1]$", False),
    (r"^\2(a)$", False),
    (r"^[\w-a]$", False),
    (r"^[z-a]$", False),
    (r"^\c1$", False),
    (r"^\x4$", False),
    (r"^\u{110000}$", False),
    (r"^\pL$", False),
    (r"^(?P<n>a)$", False),
    (r"(?<n>a)|(?<n>b)", False),
    (r"\k<m>(?<n>a)", False),
    (r"^[[:alpha:]]$", False),
    (r"^\b{start}a$", False),
    (r"(?#note)a", False),
    (r"^[\-]$", True),
    (r"^\/$", True),
    (r"^\1(a)$", True),
    (r"\k<n>(?<n>a)", True),
    (r"[]", True),
    (r"[^]", True),
    (r"^[+--]$", True),
    (r"^[\b]$", True),
    (r"^\u{10FFFF}$", True),
    (r"^\uD83D\p{L}$", True),
    (r"^\cJ\B$", True),
    (r"^\0\p{Lu}$", True),
    (r"(?<=a+)b", True),
    (r"^[\uD83D\uDE00-\uD83D\uDE4F]$", True),
    (r"^[a&&b]$", True),
    (r"^([1-9]\d{3})-(0[1-9]|1[0-2])$", True),
]


def _probe(pattern: str) -> Contracts:
    contracts = Contracts()
    contracts.documents["probe"] = {
        "type": "string",
        "pattern": pattern,
        "$id": "https://schemas.mockserver.invalid/probe.json",
    }
    return contracts


@pytest.mark.parametrize(("pattern", "text", "found"), ECMA_VERDICTS)
def test_the_mock_finds_a_pattern_where_ecma_finds_it(pattern, text, found):
    assert matches(pattern, text) is found


@pytest.mark.parametrize(("pattern", "text", "found"), ECMA_VERDICTS)
def test_a_contract_check_gives_ecmas_verdict(pattern, text, found):
    problems = _probe(pattern).check("probe", text)
    # A text refused must be refused with a problem worded: none is one let through.
    assert (not problems) is found, problems


@pytest.mark.parametrize(("pattern", "text", "found"), PLAIN_VERDICTS)
def test_python_and_the_compiled_validator_read_a_plain_pattern_as_ecma_does(pattern, text, found):
    # Python's reading, where jsonschema-rs cannot take a text; and the compiled validator's
    # own verdict, before the reference is asked.
    assert (compiled(pattern).search(text) is not None) is found
    fast = _probe(pattern)._compile_fast("probe")
    assert fast is not False
    assert fast(text) is found


@pytest.mark.parametrize("pattern", [r"^\P{L}$", r"^(?<n>a)|\p{Lu}$", r"^[^\p{L}]$"])
def test_a_lone_surrogate_a_pattern_only_jsonschema_rs_reads_is_refused_not_a_crash(pattern):
    # [mock] Python's engine cannot read `\p{…}`, jsonschema-rs cannot take a lone surrogate:
    # not found, so the instance is refused with a problem rather than passed or raised.
    assert matches(pattern, "\ud800") is False
    [problem] = _probe(pattern).check("probe", "\ud800")
    assert "does not match" in problem.message


@pytest.mark.parametrize(("pattern", "read"), ECMA_SYNTAX)
def test_a_provider_schema_is_refused_for_a_pattern_ecma_refuses(pattern, read):
    assert (ecma_syntax_error(pattern) is None) is read
    assert (not pattern_problems({"pattern": pattern})) is read
    schema = {"type": "object", "properties": {"code": {"type": "string", "pattern": pattern}}}
    if read:
        Contracts().extended({"acme/probe": schema}, {})
    else:
        with pytest.raises(ValueError, match="pattern"):
            Contracts().extended({"acme/probe": schema}, {})


# Reads {pairs: [[pattern, text], ...], patterns: [...]} on stdin; writes each pair's verdict
# (or the error of a pattern it refuses) and whether each pattern compiles. Patterns are the
# JSON Schema 2020-12 reading: ECMA-262 with the `u` flag.
NODE_JUDGE = """
const {pairs, patterns} = JSON.parse(require("fs").readFileSync(0, "utf8"));
const found = pairs.map(([pattern, text]) => {
  try { return new RegExp(pattern, "u").test(text); } catch (e) { return String(e.message); }
});
const read = patterns.map((pattern) => {
  try { new RegExp(pattern, "u"); return true; } catch (e) { return false; }
});
process.stdout.write(JSON.stringify({found, read}));
"""


def test_node_agrees_with_the_table():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the table's ECMA-262 verdicts are not judged here")
    pairs = [[pattern, text] for pattern, text, _ in ECMA_VERDICTS]
    patterns = [pattern for pattern, _ in ECMA_SYNTAX]
    run = subprocess.run(
        [node, "-e", NODE_JUDGE],
        # ASCII: a lone surrogate crosses as an escape
        input=json.dumps({"pairs": pairs, "patterns": patterns}).encode(),
        capture_output=True,
        timeout=30,
        check=True,
    )
    judged = json.loads(run.stdout)
    wrong = [
        (pattern, text, found, said)
        for (pattern, text, found), said in zip(ECMA_VERDICTS, judged["found"], strict=True)
        if said is not found
    ]
    assert not wrong, wrong
    misread = [
        (pattern, read)
        for (pattern, read), said in zip(ECMA_SYNTAX, judged["read"], strict=True)
        if said is not read
    ]
    assert not misread, misread


def test_a_pattern_nested_thousands_deep_is_refused_in_words_not_a_crash():
    pattern = "(" * 5000 + "a" + ")" * 5000
    assert ecma_syntax_error(pattern) == "groups nested too deeply to read"
    schema = {"type": "string", "pattern": pattern}
    with pytest.raises(ValueError, match="groups nested too deeply"):
        Contracts().extended({"acme/probe": schema}, {})
