#!/usr/bin/python3
"""Writes spec/vectors/canonical.jsonl and spec/vectors/errors.jsonl.

Run with Debian's interpreter:  /usr/bin/python3 spec/tools/make_vectors.py

The vectors below are the ground truth of spec/grammar.md and
spec/canonical.md. Every expected canonical text and every error position was
written by hand from those rules; nothing here canonicalizes an input. The
script only
  * computes the addresses (SHA3-256, CID) of the hand-written canonical texts,
  * completes each error position (offset <-> line/column) and checks that the
    triple is self-consistent and points at the byte the rule names,
  * checks that each canonical text is well-formed canonical form (layout,
    escapes, float and integer text, sorted keyword runs and dict keys) with a
    small checker that reads canonical text only,
  * checks the worked example of spec/addresses.md.
It exits non-zero, writing nothing, if any check fails.
"""

import base64
import binascii
import hashlib
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(os.path.dirname(HERE), "vectors")

END = "end"  # error position: the end of input

# ---------------------------------------------------------------------------
# Canonical vectors: (name, input, expected canonical text).
# Each input holds exactly one datum.
# ---------------------------------------------------------------------------

CANONICAL = [
    # --- integers
    ("int-zero", "0", "0"),
    ("int-positive", "42", "42"),
    ("int-negative", "-17", "-17"),
    ("int-negative-zero", "-0", "0"),
    ("int64-max", "9223372036854775807", "9223372036854775807"),
    ("int64-min", "-9223372036854775808", "-9223372036854775808"),
    ("int-2pow53-plus-1-stays-exact", "9007199254740993", "9007199254740993"),
    ("int-in-list", "(+ 1 -2 300)", "(+ 1 -2 300)"),

    # --- floats (ECMAScript Number::toString, plus ".0")
    ("float-one", "1.0", "1.0"),
    ("float-zero", "0.0", "0.0"),
    ("float-negative-zero", "-0.0", "0.0"),
    ("float-zero-with-exponent", "0e5", "0.0"),
    ("float-zero-with-huge-exponent", "0e999", "0.0"),
    ("float-negative-zero-exponent-form", "-0e-0", "0.0"),
    ("float-tenth", "0.1", "0.1"),
    ("float-half", "0.5", "0.5"),
    ("float-hundred", "100.0", "100.0"),
    ("float-1e-7", "1e-7", "1e-7"),
    ("float-negative-1e-7", "-1e-7", "-1e-7"),
    ("float-1e21", "1e21", "1e+21"),
    ("float-1e20", "1e20", "100000000000000000000.0"),
    ("float-1.5e300", "1.5e300", "1.5e+300"),
    ("float-21-digit-integer-part", "123456789012345678901.0", "123456789012345680000.0"),
    ("float-21-nines-round-to-1e21", "999999999999999999999.0", "1e+21"),
    ("float-0.000001", "0.000001", "0.000001"),
    ("float-1e-6", "1e-6", "0.000001"),
    ("float-0.00001", "0.00001", "0.00001"),
    ("float-1.5e-6", "1.5e-6", "0.0000015"),
    ("float-1.25e-5", "1.25e-5", "0.0000125"),
    ("float-1.5e-7", "1.5e-7", "1.5e-7"),
    ("float-5e-7", "5e-7", "5e-7"),
    ("float-min-subnormal", "5e-324", "5e-324"),
    ("float-min-subnormal-long-input", "4.9406564584124654e-324", "5e-324"),
    ("float-min-normal", "2.2250738585072014e-308", "2.2250738585072014e-308"),
    ("float-max", "1.7976931348623157e308", "1.7976931348623157e+308"),
    ("float-capital-E", "1E5", "100000.0"),
    ("float-plus-exponent", "2.5e+2", "250.0"),
    ("float-0.1e1", "0.1e1", "1.0"),
    ("float-1e0", "1e0", "1.0"),
    ("float-100e-2", "100e-2", "1.0"),
    ("float-123e-2", "123e-2", "1.23"),
    ("float-1e16", "1e16", "10000000000000000.0"),
    ("float-underflow-to-zero", "1e-400", "0.0"),
    ("float-negative-underflow-to-zero", "-1e-400", "0.0"),
    ("float-negative", "-1.5", "-1.5"),
    ("float-negative-1e21", "-1e21", "-1e+21"),
    ("float-1.23e21", "1.23e21", "1.23e+21"),
    ("float-1e100", "1e100", "1e+100"),
    ("float-avogadro", "6.02214076e23", "6.02214076e+23"),
    ("float-negative-small", "-9.5e-10", "-9.5e-10"),
    ("float-12345678.9", "12345678.9", "12345678.9"),
    ("float-0.1-plus-0.2", "0.30000000000000004", "0.30000000000000004"),
    ("float-one-plus-ulp", "1.0000000000000002", "1.0000000000000002"),
    ("float-2pow53-plus-1-rounds", "9007199254740993.0", "9007199254740992.0"),
    ("float-long-input-rounds-to-tenth", "0.1000000000000000055511151231257827", "0.1"),
    ("float-trailing-zeros-dropped", "1.50", "1.5"),
    ("float-in-list", "(x 1.50 2e1 -0.0)", "(x 1.5 20.0 0.0)"),

    # --- strings
    ("string-simple", '"hello"', '"hello"'),
    ("string-empty", '""', '""'),
    ("string-escape-quote", r'"a\"b"', r'"a\"b"'),
    ("string-escape-backslash", r'"a\\b"', r'"a\\b"'),
    ("string-escape-n", r'"a\nb"', r'"a\nb"'),
    ("string-escape-t", r'"a\tb"', r'"a\tb"'),
    ("string-escape-r", r'"a\rb"', r'"a\rb"'),
    ("string-raw-tab-escaped", '"a\tb"', r'"a\tb"'),
    ("string-raw-newline-escaped", '"a\nb"', r'"a\nb"'),
    ("string-raw-cr-escaped", '"a\rb"', r'"a\rb"'),
    ("string-raw-crlf-escaped", '"line1\r\nline2"', r'"line1\r\nline2"'),
    ("string-u0000", r'"\u0000"', r'"\u0000"'),
    ("string-u0001", r'"a\u0001b"', r'"a\u0001b"'),
    ("string-u001f", r'"\u001f"', r'"\u001f"'),
    ("string-u001F-lowercased", r'"\u001F"', r'"\u001f"'),
    ("string-u0008-no-short-escape", r'"\u0008"', r'"\u0008"'),
    ("string-u000C-no-short-escape", r'"\u000C"', r'"\u000c"'),
    ("string-u000b", r'"\u000b"', r'"\u000b"'),
    ("string-u001B-lowercased", r'"\u001B[0m"', r'"\u001b[0m"'),
    ("string-u000a-is-n", r'"\u000a"', r'"\n"'),
    ("string-u0009-is-t", r'"\u0009"', r'"\t"'),
    ("string-u000D-is-r", r'"\u000D"', r'"\r"'),
    ("string-u0022-is-quote", r'"\u0022"', r'"\""'),
    ("string-u005C-is-backslash", r'"\u005C"', r'"\\"'),
    ("string-u0041-raw", r'"\u0041BC"', '"ABC"'),
    ("string-u0020-space", r'"\u0020"', '" "'),
    ("string-u002f-slash-raw", r'"\u002f"', '"/"'),
    ("string-u007f-del-raw", r'"\u007f"', '"\x7f"'),
    ("string-raw-del", '"a\x7fb"', '"a\x7fb"'),
    ("string-u0080-raw", r'"\u0080"', '"\u0080"'),
    ("string-u00e9-raw", r'"caf\u00e9"', '"café"'),
    ("string-u00E9-uppercase-hex", r'"\u00E9"', '"é"'),
    ("string-u20ac-raw", r'"\u20ac"', '"€"'),
    ("string-u2028-raw", r'"\u2028"', '"\u2028"'),
    ("string-ufeff-raw", r'"\ufeff"', '"\ufeff"'),
    ("string-surrogate-pair", r'"\ud83d\ude00"', '"😀"'),
    ("string-surrogate-pair-uppercase", r'"\uD83D\uDE00"', '"😀"'),
    ("string-max-code-point", r'"\udbff\udfff"', '"\U0010ffff"'),
    ("string-raw-utf8", '"café ☕ 😀"', '"café ☕ 😀"'),
    ("string-mixed-escapes", r'"\"q\" \\ \n\t\r \u0007 \u00e9"', r'"\"q\" \\ \n\t\r \u0007 é"'),
    ("string-semicolon-not-comment", '"a ; b"', '"a ; b"'),
    ("string-delimiters-inside", '"([{}]) \' ` , #; #b64"', '"([{}]) \' ` , #; #b64"'),
    ("string-adjacent-strings", '("a""b")', '("a" "b")'),

    # --- symbols
    ("symbol-simple", "foo", "foo"),
    ("symbol-tilde", "~card", "~card"),
    ("symbol-path", "~plans/x/card", "~plans/x/card"),
    ("symbol-fragment", "<>", "<>"),
    ("symbol-bang", "raw!", "raw!"),
    ("symbol-question", "nil?", "nil?"),
    ("symbol-arrow", "->", "->"),
    ("symbol-ampersand", "&key", "&key"),
    ("symbol-plus", "+", "+"),
    ("symbol-minus", "-", "-"),
    ("symbol-minus-letter", "-a", "-a"),
    ("symbol-double-minus-digit", "--1", "--1"),
    ("symbol-plus-digit", "+1", "+1"),
    ("symbol-dot-digit", ".5", ".5"),
    ("symbol-dot", ".", "."),
    ("symbol-ellipsis", "...", "..."),
    ("symbol-NaN", "NaN", "NaN"),
    ("symbol-Infinity", "Infinity", "Infinity"),
    ("symbol-minus-Infinity", "-Infinity", "-Infinity"),
    ("symbol-True-is-not-literal", "True", "True"),
    ("symbol-literal-prefix", "truex", "truex"),
    ("symbol-inner-hash", "a#b", "a#b"),
    ("symbol-trailing-hash", "(a# b)", "(a# b)"),
    ("symbol-inner-colon", "a:b", "a:b"),
    ("symbol-at", "@x", "@x"),
    ("symbol-lambda", "λ", "λ"),
    ("symbol-cjk", "日本語", "日本語"),
    ("symbol-emoji", "😀", "😀"),
    ("symbol-nbsp-is-not-whitespace", "a\u00a0b", "a\u00a0b"),
    ("symbols-in-list", "(~card <> raw! nil? -> &key + - -a)", "(~card <> raw! nil? -> &key + - -a)"),

    # --- literals
    ("literal-true", "true", "true"),
    ("literal-false", "false", "false"),
    ("literal-nil", "nil", "nil"),
    ("hash-t", "#t", "true"),
    ("hash-f", "#f", "false"),
    ("booleans-in-list", "(and #t #f true false nil)", "(and true false true false nil)"),
    ("hash-t-then-string", '(#t"x")', '(true "x")'),

    # --- keywords
    ("keyword-simple", ":class", ":class"),
    ("keyword-dashes", ":hx-swap-oob", ":hx-swap-oob"),
    ("keyword-digit-name", ":1", ":1"),
    ("keyword-literal-name", ":true", ":true"),
    ("keyword-inner-colon", ":a:b", ":a:b"),
    ("keyword-double-colon", "::a", "::a"),
    ("keyword-utf8", ":é", ":é"),
    ("keyword-hash-name", ":#t", ":#t"),

    # --- byte strings
    ("bytes-empty", '#b64""', '#b64""'),
    ("bytes-one-byte", '#b64"YQ=="', '#b64"YQ=="'),
    ("bytes-two-bytes", '#b64"YWI="', '#b64"YWI="'),
    ("bytes-three-bytes", '#b64"YWJj"', '#b64"YWJj"'),
    ("bytes-four-bytes", '#b64"YWJjZA=="', '#b64"YWJjZA=="'),
    ("bytes-plus-slash", '#b64"+/+/"', '#b64"+/+/"'),
    ("bytes-zeros", '#b64"AAAA"', '#b64"AAAA"'),
    ("bytes-ff-ff", '#b64"//8="', '#b64"//8="'),
    ("bytes-in-list", '(sig #b64"AQID")', '(sig #b64"AQID")'),
    ("bytes-adjacent", '(#b64"YQ=="#b64"YQ==")', '(#b64"YQ==" #b64"YQ==")'),

    # --- lists and whitespace
    ("list-empty", "()", "()"),
    ("list-empty-with-spaces", "(  )", "()"),
    ("list-square-empty", "[]", "()"),
    ("list-square", "[a b]", "(a b)"),
    ("list-mixed-brackets", "(a [b (c [d])])", "(a (b (c (d))))"),
    ("list-nested-empty", "((()))", "((()))"),
    ("list-extra-spaces", "(  a   b  )", "(a b)"),
    ("whitespace-tab-lf-crlf-cr", "(a\tb\nc\r\nd\re)", "(a b c d e)"),
    ("whitespace-around-datum", "\n  \t(a b)  \r\n", "(a b)"),
    ("whitespace-around-atom", "  foo  ", "foo"),
    ("list-abutting-lists", "(a(b)(c)d)", "(a (b) (c) d)"),
    ("list-strings-abut-symbols", '("a"b"c")', '("a" b "c")'),
    ("list-multiline", '(html\n  (body\n    (p "x")))', '(html (body (p "x")))'),
    ("hello", '(p "hello")', '(p "hello")'),
    ("depth-1024-default-ok", "(" * 1024 + ")" * 1024, "(" * 1024 + ")" * 1024),

    # --- comments
    ("comment-in-list", "(a ; note\n b)", "(a b)"),
    ("comment-leading", "; header\n(a)", "(a)"),
    ("comment-trailing-no-newline", "(a) ; end", "(a)"),
    ("comment-right-after-symbol", "(a;c\nb)", "(a b)"),
    ("comment-holds-delimiters", "(a ; ) ] } \" #;\n b)", "(a b)"),
    ("comment-holds-utf8", "(a ; café ☕\n)", "(a)"),
    ("comment-holds-tab", "(a ;\tx\n)", "(a)"),
    ("comment-cr-does-not-end-it", "(a ; x\r b\n c)", "(a c)"),
    ("datum-comment-symbol", "(a #;b c)", "(a c)"),
    ("datum-comment-list", "(a #;(b c) d)", "(a d)"),
    ("datum-comment-space-before-datum", "(a #; b c)", "(a c)"),
    ("datum-comment-nested", "(x #; #; a b c)", "(x c)"),
    ("datum-comment-line-comment-before-datum", "(a #; ; note\n b c)", "(a c)"),
    ("datum-comment-top-level", "#;skipped kept", "kept"),
    ("datum-comment-sugar", "(a #;'b c)", "(a c)"),
    ("datum-comment-in-dict", "{:a 1 #;:b :c 2}", "{:a 1 :c 2}"),
    ("datum-comment-hides-pair-duplicate", "(g #;(f :a 1 :a 2) x)", "(g x)"),

    # --- sugar
    ("sugar-quote", "'x", "(quote x)"),
    ("sugar-quasiquote", "`x", "(quasiquote x)"),
    ("sugar-unquote", ",x", "(unquote x)"),
    ("sugar-unquote-splicing", ",@x", "(unquote-splicing x)"),
    ("sugar-quote-list", "'(a b)", "(quote (a b))"),
    ("sugar-template", "`(a ,b ,@c)", "(quasiquote (a (unquote b) (unquote-splicing c)))"),
    ("sugar-nested-quote", "''a", "(quote (quote a))"),
    ("sugar-space-before-datum", "' a", "(quote a)"),
    ("sugar-comment-before-datum", "'; c\n a", "(quote a)"),
    ("sugar-datum-comment-before-datum", "'#;a b", "(quote b)"),
    ("sugar-comma-space-at", ", @x", "(unquote @x)"),
    ("sugar-comma-at-space", ",@ x", "(unquote-splicing x)"),
    ("sugar-abutting", "(a'b`c,d)", "(a (quote b) (quasiquote c) (unquote d))"),
    ("sugar-square", "'[a]", "(quote (a))"),
    ("sugar-dict", "'{:b 1 :a 2}", "(quote {:a 2 :b 1})"),
    ("sugar-keyword", "':k", "(quote :k)"),
    ("sugar-string", "'\"s\"", '(quote "s")'),
    ("sugar-number", ",1", "(unquote 1)"),
    ("sugar-long-form-unchanged", "(quote x)", "(quote x)"),
    ("sugar-quoted-pairs-sorted", "'(f :b 1 :a 2)", "(quote (f :a 2 :b 1))"),

    # --- keyword pairs
    ("pairs-design-cond", '(cond (> x 1) "a" :else "b")', '(cond (> x 1) "a" :else "b")'),
    ("pairs-design-create", "(Create :id 1 :actor a (Note))", "(Create :actor a :id 1 (Note))"),
    ("pairs-single", "(f :a 1)", "(f :a 1)"),
    ("pairs-already-sorted", "(f :a 1 :b 2 :c 3)", "(f :a 1 :b 2 :c 3)"),
    ("pairs-reversed", "(f :c 3 :b 2 :a 1)", "(f :a 1 :b 2 :c 3)"),
    ("pairs-runs-separated", "(f :b 1 x :a 2)", "(f :b 1 x :a 2)"),
    ("pairs-two-runs-sorted-apart", "(f :d 1 :c 2 x :b 3 :a 4)", "(f :c 2 :d 1 x :a 4 :b 3)"),
    ("pairs-three-runs", '(f :z 1 "s" :y 2 :x 3 7 :w 4)', '(f :z 1 "s" :x 3 :y 2 7 :w 4)'),
    ("pairs-keyword-value", "(f :a :b :c 1)", "(f :a :b :c 1)"),
    ("pairs-keyword-value-sorted", "(f :c :b :a 1)", "(f :a 1 :c :b)"),
    ("pairs-keyword-value-then-ordinary", "(f :c 1 :b :a 2)", "(f :b :a :c 1 2)"),
    ("pairs-only-one-pair-of-keywords", "(f :b :a)", "(f :b :a)"),
    ("pairs-trailing-lone-keyword", "(f :b 1 :a)", "(f :b 1 :a)"),
    ("pairs-run-then-lone-keyword", "(f :b 1 :a 2 :c)", "(f :a 2 :b 1 :c)"),
    ("pairs-lone-keyword-only", "(f :a)", "(f :a)"),
    ("pairs-head-only-keyword", "(:a)", "(:a)"),
    ("pairs-head-keyword", "(:k :b 1 :a 2)", "(:k :a 2 :b 1)"),
    ("pairs-head-keyword-same-name-as-key", "(:a :b 1 :a 2)", "(:a :a 2 :b 1)"),
    ("pairs-head-keyword-not-paired", "(:b 1 :a 2)", "(:b 1 :a 2)"),
    ("pairs-head-list", "((a) :b 1 :a 2)", "((a) :a 2 :b 1)"),
    ("pairs-after-positional", "(f 1 :b 2 :a 3)", "(f 1 :a 3 :b 2)"),
    ("pairs-no-keywords", "(f x y)", "(f x y)"),
    ("pairs-same-keyword-as-key-and-value", "(f :a :a 1)", "(f :a :a 1)"),
    ("pairs-key-reappears-as-value", "(f :a 1 :b :a)", "(f :a 1 :b :a)"),
    ("pairs-key-reappears-as-lone", "(f :a 1 :a)", "(f :a 1 :a)"),
    ("pairs-bytewise-ascii", "(f :b 1 :B 2 :a 3 :_ 4 :- 5 :1 6)", "(f :- 5 :1 6 :B 2 :_ 4 :a 3 :b 1)"),
    ("pairs-uppercase-first", "(f :id 1 :ID 2 :Id 3)", "(f :ID 2 :Id 3 :id 1)"),
    ("pairs-prefix-sorts-first", "(f :ab 1 :a 2)", "(f :a 2 :ab 1)"),
    ("pairs-dash-before-digit", "(f :a0 1 :a-b 2 :a 3)", "(f :a 3 :a-b 2 :a0 1)"),
    ("pairs-multibyte-after-ascii", "(f :é 1 :z 2 :e 3)", "(f :e 3 :z 2 :é 1)"),
    ("pairs-utf8-order-not-utf16", "(f :😀 1 :｡ 2)", "(f :｡ 2 :😀 1)"),
    ("pairs-values-move-with-keys", '(Note :to ["x" "y"] :content "hi" :attributedTo "alice")',
     '(Note :attributedTo "alice" :content "hi" :to ("x" "y"))'),
    ("pairs-nested-lists-sorted", "(f :b (g :d 1 :c 2) :a [x])", "(f :a (x) :b (g :c 2 :d 1))"),
    ("pairs-value-list-of-keywords", "(f :b (:y :x) :a 1)", "(f :a 1 :b (:y :x))"),
    ("pairs-datum-comment-between", "(f :b #;x 1 :a 2)", "(f :a 2 :b 1)"),
    ("pairs-comment-before-close", "(f :b 1 :a ; no value\n)", "(f :b 1 :a)"),
    ("pairs-square-list", "[f :b 1 :a 2]", "(f :a 2 :b 1)"),
    ("pairs-in-quote-form", "(quote :b 1 :a 2)", "(quote :a 2 :b 1)"),
    ("pairs-html-element", '(div :id "main" :class "c" (p :class "z" "hi"))',
     '(div :class "c" :id "main" (p :class "z" "hi"))'),
    ("pairs-activity", '(Create :object (Note :content "hi" :id "n1") :actor "alice" :id "c1")',
     '(Create :actor "alice" :id "c1" :object (Note :content "hi" :id "n1"))'),
    ("pairs-signed", '(signed :sig #b64"YQ==" :key-id "k1" (Like :object "x"))',
     '(signed :key-id "k1" :sig #b64"YQ==" (Like :object "x"))'),
    ("pairs-defcomp-unchanged", '(defcomp ~card (&key title subtitle &rest children) (div :class "card" (h2 title)))',
     '(defcomp ~card (&key title subtitle &rest children) (div :class "card" (h2 title)))'),
    ("pairs-mixed-atoms", '(row 1 -2 3.50 "s" sym :kw #t nil #b64"YQ==")',
     '(row 1 -2 3.5 "s" sym :kw true nil #b64"YQ==")'),
    ("pairs-request", '(GET "/cards" :have-components ("~card") :auth "t" :stream #t)',
     '(GET "/cards" :auth "t" :have-components ("~card") :stream true)'),

    # --- dicts
    ("dict-empty", "{}", "{}"),
    ("dict-empty-with-whitespace", "{ \n }", "{}"),
    ("dict-keywords-sorted", "{:b 1 :a 2}", "{:a 2 :b 1}"),
    ("dict-strings-sorted", '{"b" 1 "a" 2}', '{"a" 2 "b" 1}'),
    ("dict-keywords-before-strings", '{"a" 1 :b 2 "A" 3 :a 4}', '{:a 4 :b 2 "A" 3 "a" 1}'),
    ("dict-keyword-and-string-same-text", '{"a" 2 :a 1}', '{:a 1 "a" 2}'),
    ("dict-string-key-compared-decoded", r'{"b" 1 "\u0061" 2}', '{"a" 2 "b" 1}'),
    ("dict-string-key-multibyte-last", '{"é" 1 "z" 2}', '{"z" 2 "é" 1}'),
    ("dict-string-key-empty-first", '{"a" 1 "" 2}', '{"" 2 "a" 1}'),
    ("dict-string-key-prefix-first", '{"ab" 1 "a" 2}', '{"a" 2 "ab" 1}'),
    ("dict-string-keys-control-chars", r'{"\n" 1 "\t" 2}', r'{"\t" 2 "\n" 1}'),
    ("dict-string-key-escaped-quote", r'{"a\"" 1 "a" 2}', r'{"a" 2 "a\"" 1}'),
    ("dict-string-keys-utf8-order", '{"😀" 1 "｡" 2}', '{"｡" 2 "😀" 1}'),
    ("dict-nested", "{:x {:b 1 :a 2} :a [1 2]}", "{:a (1 2) :x {:a 2 :b 1}}"),
    ("dict-literal-values", "{:b #t :a nil}", "{:a nil :b true}"),
    ("dict-keyword-values", "{:c :d :a :b}", "{:a :b :c :d}"),
    ("dict-multiline", "{\n  :b 1\n  :a 2\n}", "{:a 2 :b 1}"),
    ("dict-value-list-pairs-sorted", "{:k (f :b 1 :a 2)}", "{:k (f :a 2 :b 1)}"),
    ("dict-in-list", "(f {:b 1 :a 2} :z {})", "(f {:a 2 :b 1} :z {})"),
]

# ---------------------------------------------------------------------------
# Error vectors. E(name, input, code, position, mode="read", **options)
#   input: str (sent as UTF-8) or bytes;
#   position: END, a byte offset (int), or (line, column).
# ---------------------------------------------------------------------------

ERRORS = []


def E(name, text, code, pos, mode="read", **options):
    ERRORS.append((name, text, code, pos, mode, options))


# --- unexpected-eof
E("eof-open-list", "(a b", "unexpected-eof", END)
E("eof-nested-multiline", "(a\n  (b c)\n  (d", "unexpected-eof", END)
E("eof-open-square", "[a", "unexpected-eof", END)
E("eof-open-dict", "{:a 1", "unexpected-eof", END)
E("eof-string", '"abc', "unexpected-eof", END)
E("eof-string-multiline", '(p "line one\nline two', "unexpected-eof", END)
E("eof-string-ending-in-newline", '"a\n', "unexpected-eof", END)
E("eof-after-backslash", '"ab\\', "unexpected-eof", END)
E("eof-in-unicode-escape", '"\\u12', "unexpected-eof", END)
E("eof-after-high-surrogate", '"\\ud800', "unexpected-eof", END)
E("eof-after-high-surrogate-backslash", '"\\ud800\\', "unexpected-eof", END)
E("eof-in-low-surrogate-escape", '"\\ud800\\udc', "unexpected-eof", END)
E("eof-after-quote", "'", "unexpected-eof", END)
E("eof-after-quote-in-list", "(a '", "unexpected-eof", END)
E("eof-after-unquote-splicing", ",@", "unexpected-eof", END)
E("eof-after-quasiquote-and-whitespace", "`  \n", "unexpected-eof", END)
E("eof-in-bytes", '#b64"YQ', "unexpected-eof", END)
E("eof-in-empty-bytes", '#b64"', "unexpected-eof", END)
E("eof-in-bytes-with-bad-body", '#b64"!!', "unexpected-eof", END)
E("eof-after-datum-comment", "#;", "unexpected-eof", END)
E("eof-after-datum-comment-in-list", "(a #;", "unexpected-eof", END)
E("eof-datum-comment-then-line-comment", "#; ; c\n", "unexpected-eof", END)
E("eof-hash-in-symbol-is-not-datum-comment", "(a#;b)", "unexpected-eof", END)

# --- unexpected-close
E("close-alone", ")", "unexpected-close", 0)
E("close-brace-alone", "}", "unexpected-close", 0)
E("close-square-alone", "]", "unexpected-close", 0)
E("close-extra", "(a))", "unexpected-close", 3)
E("close-top-level-second-line", "a\n)", "unexpected-close", (2, 1))
E("close-paren-by-square", "(a]", "unexpected-close", 2)
E("close-square-by-paren", "[a)", "unexpected-close", 2)
E("close-dict-by-paren", "{:a 1)", "unexpected-close", 5)
E("close-dict-key-by-paren", "{:a)", "unexpected-close", 3)
E("close-wrong-inner", "(a (b] c)", "unexpected-close", 5)
E("close-mismatch-multiline", "(a\n  [b\n   c)", "unexpected-close", (3, 5))
E("close-after-quote", "(')", "unexpected-close", 2)
E("close-after-quote-top-level", "')", "unexpected-close", 1)
E("close-after-unquote-splicing", "(,@ )", "unexpected-close", 4)
E("close-after-datum-comment", "(a #;)", "unexpected-close", 5)
E("close-after-datum-comment-multiline", "(a\n #;\n )", "unexpected-close", (3, 2))

# --- invalid-number
E("number-leading-zero", "01", "invalid-number", 0)
E("number-negative-leading-zero", "-01", "invalid-number", 0)
E("number-double-zero", "00", "invalid-number", 0)
E("number-trailing-dot", "1.", "invalid-number", 0)
E("number-dot-then-exponent", "1.e5", "invalid-number", 0)
E("number-bare-exponent", "1e", "invalid-number", 0)
E("number-exponent-sign-only", "1e+", "invalid-number", 0)
E("number-fractional-exponent", "1e5.0", "invalid-number", 0)
E("number-letter", "1a", "invalid-number", 0)
E("number-negative-letter", "(x -1a)", "invalid-number", 3)
E("number-two-dots", "1.5.5", "invalid-number", 0)
E("number-hex", "0x10", "invalid-number", 0)
E("number-underscore", "1_000", "invalid-number", 0)
E("number-ratio", "1/2", "invalid-number", 0)
E("number-hash", "1#", "invalid-number", 0)
E("number-colon", "1:", "invalid-number", 0)
E("number-multibyte", "1é", "invalid-number", 0)
E("number-multiline", "(a\n  b 12x)", "invalid-number", (2, 5))
E("number-in-datum-comment", "(a #;01 b)", "invalid-number", 5)
E("precedence-number-before-eof", "(01", "invalid-number", 1)

# --- number-out-of-range
E("int64-max-plus-one", "9223372036854775808", "number-out-of-range", 0)
E("int64-min-minus-one", "-9223372036854775809", "number-out-of-range", 0)
E("uint64-max-plus-one", "18446744073709551616", "number-out-of-range", 0)
E("integer-never-becomes-float", "10000000000000000000000", "number-out-of-range", 0)
E("float-overflow", "1e999", "number-out-of-range", 0)
E("float-negative-overflow", "-1e999", "number-out-of-range", 0)
E("float-just-over-max", "1.8e308", "number-out-of-range", 0)
E("float-huge-exponent", "1e99999999999999999999", "number-out-of-range", 0)
E("out-of-range-multiline", "(a\n 1\n -1e400)", "number-out-of-range", (3, 2))

# --- invalid-escape
E("escape-x", '"\\x41"', "invalid-escape", 1)
E("escape-short-unicode", '"\\u12"', "invalid-escape", 1)
E("escape-unicode-one-digit", '"\\u1"', "invalid-escape", 1)
E("escape-unicode-bad-hex", '"\\u00g0"', "invalid-escape", 1)
E("escape-slash-not-allowed", '"\\/"', "invalid-escape", 1)
E("escape-b-not-allowed", '"\\b"', "invalid-escape", 1)
E("escape-f-not-allowed", '"\\f"', "invalid-escape", 1)
E("escape-capital-U", '"\\U0041"', "invalid-escape", 1)
E("escape-zero", '"\\0"', "invalid-escape", 1)
E("escape-single-quote", '"\\\'"', "invalid-escape", 1)
E("escape-space", '"\\ "', "invalid-escape", 1)
E("escape-raw-newline", '"a\\\nb"', "invalid-escape", 2)
E("escape-multiline", '(p "ok"\n   "bad \\q")', "invalid-escape", (2, 9))
E("escape-malformed-after-high-surrogate", '"\\ud800\\u12"', "invalid-escape", 7)

# --- invalid-surrogate
E("surrogate-lone-high", '"\\ud800"', "invalid-surrogate", 1)
E("surrogate-lone-low", '"\\udc00"', "invalid-surrogate", 1)
E("surrogate-low-then-high", '"\\udc00\\ud800"', "invalid-surrogate", 1)
E("surrogate-high-then-char", '"\\ud800x"', "invalid-surrogate", 1)
E("surrogate-high-then-high", '"\\ud83d\\ud83d"', "invalid-surrogate", 1)
E("surrogate-high-then-bmp-escape", '"\\ud800\\u0041"', "invalid-surrogate", 1)
E("surrogate-high-then-short-escape", '"\\ud800\\n"', "invalid-surrogate", 1)
E("surrogate-high-then-invalid-escape", '"\\ud800\\x"', "invalid-surrogate", 1)
E("surrogate-lone-high-uppercase", '"ab\\uDBFF"', "invalid-surrogate", 3)
E("surrogate-lone-low-after-pair", '"\\ud83d\\ude00\\ude00"', "invalid-surrogate", 13)
E("surrogate-multiline", '(a\n "x\\udfff")', "invalid-surrogate", (2, 4))

# --- invalid-utf8
E("utf8-bare-continuation", b"\x80", "invalid-utf8", 0)
E("utf8-continuation-in-list", b"(a \x80)", "invalid-utf8", 3)
E("utf8-truncated-2-byte", b"(\xc3)", "invalid-utf8", 1)
E("utf8-truncated-3-byte", b"(a \xe2\x82)", "invalid-utf8", 3)
E("utf8-truncated-4-byte", b"\xf0\x9f\x98", "invalid-utf8", 0)
E("utf8-truncated-at-end-in-string", b'"\xc3', "invalid-utf8", 1)
E("utf8-overlong-c0", b"\xc0\x80", "invalid-utf8", 0)
E("utf8-overlong-c1-in-symbol", b"a\xc1\xbf", "invalid-utf8", 1)
E("utf8-overlong-3-byte", b"\xe0\x80\xaf", "invalid-utf8", 0)
E("utf8-overlong-4-byte", b"\xf0\x80\x80\xaf", "invalid-utf8", 0)
E("utf8-encoded-surrogate", b'"\xed\xa0\x80"', "invalid-utf8", 1)
E("utf8-above-max-code-point", b"\xf4\x90\x80\x80", "invalid-utf8", 0)
E("utf8-f5-lead", b"\xf5\x80\x80\x80", "invalid-utf8", 0)
E("utf8-ff", b"(\xff)", "invalid-utf8", 1)
E("utf8-latin1-in-string", b'(p "caf\xe9")', "invalid-utf8", 7)
E("utf8-latin1-in-symbol", b"(caf\xe9 x)", "invalid-utf8", 4)
E("utf8-in-keyword", b"(:k\xff 1)", "invalid-utf8", 3)
E("utf8-in-comment", b"(a) ; caf\xe9\n", "invalid-utf8", 9)
E("utf8-in-bytes-body-is-base64-error", b'#b64"\xff"', "invalid-base64", 0)
E("utf8-extra-continuation", b'"\xc3\xa9\xa9"', "invalid-utf8", 3)
E("utf8-multiline", b'(a\n  "ok"\n  x\xe2\x28\xa1)', "invalid-utf8", (3, 4))
E("precedence-close-before-later-utf8", b") \xff", "unexpected-close", 0)
E("precedence-number-before-later-utf8", b"01 \xff", "invalid-number", 0)
E("precedence-utf8-before-later-close", b"\xff )", "invalid-utf8", 0)

# --- invalid-character
E("bom", "\ufeff(a)", "invalid-character", 0)
E("bom-starting-a-later-symbol", " \ufeffx", "invalid-character", 1)
E("bom-inside-symbol", "(a\ufeffb)", "invalid-character", 2)
E("bom-inside-keyword", "(f :k\ufeff 1)", "invalid-character", 5)
E("nul-outside-string", b"(a \x00)", "invalid-character", 3)
E("control-outside-string", "(a \x01 b)", "invalid-character", 3)
E("control-inside-token", "(ab\x01c)", "invalid-character", 3)
E("del-outside-string", "(a \x7f)", "invalid-character", 3)
E("del-in-symbol", "a\x7f", "invalid-character", 1)
E("vertical-tab-is-not-whitespace", "(a\x0bb)", "invalid-character", 2)
E("form-feed-is-not-whitespace", "(a\x0cb)", "invalid-character", 2)
E("escape-byte-outside-string", "\x1b[0m", "invalid-character", 0)
E("nul-in-string", b'"a\x00b"', "invalid-character", 2)
E("control-in-string", '"a\x01b"', "invalid-character", 2)
E("escape-byte-in-string", '"\x1b[31m"', "invalid-character", 1)
E("unit-separator-in-string", '"\x1f"', "invalid-character", 1)
E("control-in-comment", "(a) ; x\x01\n", "invalid-character", 7)
E("del-in-comment", "; \x7f", "invalid-character", 2)
E("control-in-string-multiline", '(a\n "b\n\x02")', "invalid-character", (3, 1))

# --- invalid-token
E("hash-x", "#x", "invalid-token", 0)
E("hash-t1", "#t1", "invalid-token", 0)
E("hash-true", "#true", "invalid-token", 0)
E("hash-capital-T", "#T", "invalid-token", 0)
E("hash-t-hash-f", "(#t#f)", "invalid-token", 1)
E("hash-alone", "(a # b)", "invalid-token", 3)
E("hash-b64-then-space", '#b64 "YQ=="', "invalid-token", 0)
E("hash-b6", '#b6"YQ=="', "invalid-token", 0)
E("hash-capital-B64", '#B64"YQ=="', "invalid-token", 0)
E("hash-paren", "#(a)", "invalid-token", 0)
E("hash-string", '#"a"', "invalid-token", 0)
E("hash-pipe", "#|a|#", "invalid-token", 0)
E("hash-backslash", "#\\a", "invalid-token", 0)
E("lone-colon", ":", "invalid-token", 0)
E("lone-colon-in-list", "(: a)", "invalid-token", 1)
E("colon-before-string", ':"a"', "invalid-token", 0)
E("precedence-token-before-close", "(:)", "invalid-token", 1)
E("token-multiline", "(a\n  #f\n  #nil)", "invalid-token", (3, 3))

# --- invalid-base64
E("b64-length-3", '#b64"abc"', "invalid-base64", 0)
E("b64-length-1", '#b64"Y"', "invalid-base64", 0)
E("b64-length-5", '#b64"YWJjZ"', "invalid-base64", 0)
E("b64-unpadded", '#b64"YQ"', "invalid-base64", 0)
E("b64-pad-in-middle", '#b64"ab=c"', "invalid-base64", 0)
E("b64-nonzero-trailing-bits-two-pad", '#b64"YR=="', "invalid-base64", 0)
E("b64-nonzero-trailing-bits-one-pad", '#b64"YWJ="', "invalid-base64", 0)
E("b64-three-pad", '#b64"Y==="', "invalid-base64", 0)
E("b64-all-pad", '#b64"===="', "invalid-base64", 0)
E("b64-data-after-pad", '#b64"YQ==YQ=="', "invalid-base64", 0)
E("b64-space", '#b64"YW Jj"', "invalid-base64", 0)
E("b64-newline", '#b64"YQ=\n="', "invalid-base64", 0)
E("b64-url-safe-minus", '#b64"YW-j"', "invalid-base64", 0)
E("b64-url-safe-underscore", '#b64"YW_j"', "invalid-base64", 0)
E("b64-non-ascii", '#b64"YWJé"', "invalid-base64", 0)
E("b64-control-byte", '#b64"YW\x01j"', "invalid-base64", 0)
E("b64-multiline", '(x\n  #b64"!!!!")', "invalid-base64", (2, 3))

# --- invalid-dict
E("dict-integer-key", "{1 2}", "invalid-dict", 1)
E("dict-odd-one", "{:a}", "invalid-dict", 3)
E("dict-odd-three", "{:a 1 :b}", "invalid-dict", 8)
E("dict-odd-after-datum-comment", "{:a #;1}", "invalid-dict", 7)
E("dict-list-key", "{(a) 1}", "invalid-dict", 1)
E("dict-square-key", "{[a] 1}", "invalid-dict", 1)
E("dict-nil-key", "{nil 1}", "invalid-dict", 1)
E("dict-boolean-key", "{#t 1}", "invalid-dict", 1)
E("dict-symbol-key", "{:a 1 b 2}", "invalid-dict", 6)
E("dict-bytes-key", '{#b64"YQ==" 1}', "invalid-dict", 1)
E("dict-quoted-key", "{'a 1}", "invalid-dict", 1)
E("dict-dict-key", "{{} 1}", "invalid-dict", 1)
E("dict-odd-multiline", "{:a 1\n :b 2\n :c\n}", "invalid-dict", (4, 1))
E("precedence-eof-before-dict-key-check", "{1", "unexpected-eof", 2)

# --- duplicate-key (reader: dicts)
E("dict-duplicate-keyword", "{:a 1 :a 2}", "duplicate-key", 6)
E("dict-duplicate-string", '{"a" 1 "a" 2}', "duplicate-key", 7)
E("dict-duplicate-string-escaped", '{"a" 1 "\\u0061" 2}', "duplicate-key", 7)
E("dict-duplicate-not-adjacent", "{:a 1 :b 2 :a 3}", "duplicate-key", 11)
E("dict-duplicate-nested", "{:a {:b 1 :b 2}}", "duplicate-key", 10)
E("dict-duplicate-multiline", "{:x 1\n :y 2\n :x 3}", "duplicate-key", (3, 2))
E("dict-duplicate-in-datum-comment", "(a #;{:x 1 :x 2})", "duplicate-key", 11)
E("precedence-eof-before-dict-duplicate-check", "{:a 1 :a", "unexpected-eof", 8)

# --- duplicate-key (canonical writer: keyword pairs of one list)
E("pairs-duplicate", "(f :a 1 :b 2 :a 3)", "duplicate-key", 13, mode="canonical")
E("pairs-duplicate-adjacent", "(f :a 1 :a 2)", "duplicate-key", 8, mode="canonical")
E("pairs-duplicate-across-runs", "(f :a 1 x :a 2)", "duplicate-key", 10, mode="canonical")
E("pairs-duplicate-first-repeat-wins", "(f :a 1 :b 2 :b 3 :a 4)", "duplicate-key", 13, mode="canonical")
E("pairs-duplicate-third-occurrence", "(f :a 1 :a 2 :a 3)", "duplicate-key", 8, mode="canonical")
E("pairs-duplicate-nested", "(f (g :a 1 :a 2))", "duplicate-key", 11, mode="canonical")
E("pairs-duplicate-square", "[f :a 1 :a 2]", "duplicate-key", 8, mode="canonical")
E("pairs-duplicate-in-quote", "'(f :a 1 :a 2)", "duplicate-key", 9, mode="canonical")
E("pairs-duplicate-in-dict-value", "{:k (f :a 1 :a 2)}", "duplicate-key", 12, mode="canonical")
E("pairs-duplicate-multiline", "(Create\n  :id 1\n  :actor a\n  :id 2)", "duplicate-key", (4, 3), mode="canonical")

# --- depth-limit
E("depth-3-over-2", "(((a)))", "depth-limit", 2, max_depth=2)
E("depth-0-list", "(a)", "depth-limit", 0, max_depth=0)
E("depth-0-quote", "'a", "depth-limit", 0, max_depth=0)
E("depth-quote-then-list", "'(a)", "depth-limit", 1, max_depth=1)
E("depth-quote-quote", "''a", "depth-limit", 1, max_depth=1)
E("depth-unquote-splicing-then-list", ",@(a)", "depth-limit", 2, max_depth=1)
E("depth-square-then-dict", "[{:a 1}]", "depth-limit", 1, max_depth=1)
E("depth-second-branch", "((a) (b (c)))", "depth-limit", 8, max_depth=2)
E("depth-in-datum-comment", "(a #;((b)))", "depth-limit", 5, max_depth=2)
E("depth-datum-comment-counts-a-level", "#;#;#;a b c d", "depth-limit", 4, max_depth=2)
E("depth-multiline", "(a\n (b\n  (c)))", "depth-limit", (3, 3), max_depth=2)
E("depth-1025-default", "(" * 1025 + ")" * 1025, "depth-limit", 1024)

# --- size-limit
E("size-over-by-one", "(a b)", "size-limit", 4, max_size=4)
E("size-zero", "a", "size-limit", 0, max_size=0)
E("size-multiline", "(a\nbc)", "size-limit", (2, 2), max_size=4)
E("precedence-size-over-utf8", b"\xff\xff\xff", "size-limit", 2, max_size=2)

# --- trailing-input (ReadOne)
E("trailing-two-symbols", "a b", "trailing-input", 2, mode="read_one")
E("trailing-three-numbers", "1 2 3", "trailing-input", 2, mode="read_one")
E("trailing-two-lists-multiline", "(a)\n(b)", "trailing-input", (2, 1), mode="read_one")
E("trailing-after-comment", "a ; c\n b", "trailing-input", (2, 2), mode="read_one")
E("trailing-sugar", "'a 'b", "trailing-input", 3, mode="read_one")
E("trailing-after-datum-comment", "a #;b c", "trailing-input", 6, mode="read_one")
E("trailing-string-abuts-symbol", 'a"b"', "trailing-input", 1, mode="read_one")
E("precedence-read-one-reads-everything", "a )", "unexpected-close", 2, mode="read_one")

# --- empty-input (ReadOne)
E("empty", "", "empty-input", END, mode="read_one")
E("empty-spaces", "   ", "empty-input", END, mode="read_one")
E("empty-newlines", "\n\n", "empty-input", (3, 1), mode="read_one")
E("empty-only-comment", "; only a comment", "empty-input", END, mode="read_one")
E("empty-only-comments-multiline", "; a\n; b\n", "empty-input", (3, 1), mode="read_one")
E("empty-only-datum-comment", "#;a", "empty-input", END, mode="read_one")

# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------

CID_PREFIX = bytes([0x01, 0x55, 0x16, 0x20])


def sha3_text(data):
    return "sha3-" + hashlib.sha3_256(data).hexdigest()


def cid_text(data):
    digest = hashlib.sha3_256(data).digest()
    b32 = base64.b32encode(CID_PREFIX + digest).decode("ascii")
    return "b" + b32.lower().rstrip("=")


# ---------------------------------------------------------------------------
# Checker for canonical text (reads canonical text only; rejects anything
# that is not in canonical form).
# ---------------------------------------------------------------------------

class NotCanonical(Exception):
    pass


DELIMS = set(" \t\r\n()[]{}\";'`,")
INT_RE = re.compile(r"-?(0|[1-9][0-9]*)")
NUM_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
B64_RE = re.compile(r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def es_number_to_string(x):
    """ECMAScript Number::toString for a finite double (digits from repr)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number_to_string(-x)
    mant, _, exp = repr(x).partition("e")
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    point = len(ip) + (int(exp) if exp else 0)  # x = 0.digits * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    d = stripped.rstrip("0")
    k, n = len(d), point
    if k <= n <= 21:
        return d + "0" * (n - k)
    if 0 < n <= 21:
        return d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + d
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return d + "e" + sign + str(abs(e))
    return d[0] + "." + d[1:] + "e" + sign + str(abs(e))


def canonical_float_text(x):
    s = es_number_to_string(x)
    if "." not in s and "e" not in s:
        s += ".0"
    return s


def check_b64_body(body):
    if len(body) % 4 or not B64_RE.fullmatch(body):
        raise NotCanonical("bad base64 body %r" % body)
    data = base64.b64decode(body, validate=True)
    if base64.b64encode(data).decode("ascii") != body:
        raise NotCanonical("base64 body %r has non-zero trailing bits" % body)


class CanonicalChecker:
    """Parses canonical text into ("list", [...]) / ("dict", [...]) /
    (kind, value) atoms, raising NotCanonical on any deviation."""

    def __init__(self, text):
        self.t = text
        self.i = 0

    def parse(self):
        if not self.t:
            raise NotCanonical("empty")
        node = self.datum()
        if self.i != len(self.t):
            raise NotCanonical("text after the datum at %d" % self.i)
        return node

    def datum(self):
        t, i = self.t, self.i
        if i >= len(t):
            raise NotCanonical("unexpected end")
        c = t[i]
        if c in "({":
            close = ")" if c == "(" else "}"
            self.i += 1
            items = []
            if t[self.i:self.i + 1] == close:
                self.i += 1
            else:
                while True:
                    items.append(self.datum())
                    nxt = t[self.i:self.i + 1]
                    if nxt == close:
                        self.i += 1
                        break
                    if nxt != " ":
                        raise NotCanonical("expected one space or %s at %d" % (close, self.i))
                    self.i += 1
            node = ("list" if c == "(" else "dict", items)
            self.check_container(node)
            return node
        if c == '"':
            return ("string", self.string())
        if t.startswith('#b64"', i):
            j = t.index('"', i + 5)
            check_b64_body(t[i + 5:j])
            self.i = j + 1
            return ("bytes", t[i + 5:j])
        j = i
        while j < len(t) and t[j] not in DELIMS:
            if ord(t[j]) < 0x20 or t[j] == "\x7f":
                raise NotCanonical("control character in token")
            j += 1
        tok = t[i:j]
        if not tok:
            raise NotCanonical("unexpected %r at %d" % (c, i))
        self.i = j
        return self.token(tok)

    def string(self):
        t = self.t
        self.i += 1
        out = []
        while True:
            if self.i >= len(t):
                raise NotCanonical("unterminated string")
            c = t[self.i]
            if c == '"':
                self.i += 1
                return "".join(out)
            if c == "\\":
                e = t[self.i + 1:self.i + 2]
                if e in ('"', "\\"):
                    out.append(e)
                    self.i += 2
                elif e in ("n", "t", "r"):
                    out.append({"n": "\n", "t": "\t", "r": "\r"}[e])
                    self.i += 2
                elif e == "u":
                    hx = t[self.i + 2:self.i + 6]
                    if not re.fullmatch(r"00[01][0-9a-f]", hx) or hx in ("0009", "000a", "000d"):
                        raise NotCanonical("non-canonical escape \\u%s" % hx)
                    out.append(chr(int(hx, 16)))
                    self.i += 6
                else:
                    raise NotCanonical("bad escape")
            else:
                if ord(c) < 0x20:
                    raise NotCanonical("raw control character in string")
                out.append(c)
                self.i += 1

    def token(self, tok):
        if tok in ("true", "false", "nil"):
            return ("literal", tok)
        if tok[0].isdigit() or (tok[0] == "-" and len(tok) > 1 and tok[1].isdigit()):
            if not tok.isascii() or not NUM_RE.fullmatch(tok):
                raise NotCanonical("bad number %r" % tok)
            if INT_RE.fullmatch(tok):
                v = int(tok)
                if tok == "-0" or not -2**63 <= v < 2**63:
                    raise NotCanonical("bad integer %r" % tok)
                return ("int", v)
            x = float(tok)
            if not math.isfinite(x) or canonical_float_text(x) != tok:
                raise NotCanonical("float %r is not canonical (want %r)" % (tok, canonical_float_text(x)))
            return ("float", x)
        if tok[0] == "#":
            raise NotCanonical("# token %r" % tok)
        if tok[0] == ":":
            if len(tok) == 1:
                raise NotCanonical("lone colon")
            return ("keyword", tok[1:])
        return ("symbol", tok)

    @staticmethod
    def check_container(node):
        kind, items = node
        if kind == "dict":
            if len(items) % 2:
                raise NotCanonical("odd dict")
            keys = items[0::2]
            if any(k[0] not in ("keyword", "string") for k in keys):
                raise NotCanonical("bad dict key")
            order = [(0 if k[0] == "keyword" else 1, k[1].encode("utf-8")) for k in keys]
            if any(a >= b for a, b in zip(order, order[1:])):
                raise NotCanonical("dict keys not strictly sorted")
            return
        seen = set()
        run = []
        i = 1
        runs = []
        while i < len(items):
            if items[i][0] == "keyword" and i + 1 < len(items):
                name = items[i][1].encode("utf-8")
                if name in seen:
                    raise NotCanonical("repeated pair keyword")
                seen.add(name)
                run.append(name)
                i += 2
            else:
                if run:
                    runs.append(run)
                run = []
                i += 1
        if run:
            runs.append(run)
        for r in runs:
            if r != sorted(r):
                raise NotCanonical("keyword run not sorted: %r" % r)


SUGAR_HEADS = ("quote", "quasiquote", "unquote", "unquote-splicing")
SINGLE_NUMBER = re.compile(r"\s*(-?[0-9][0-9A-Za-z.+\-]*)\s*")


def check_canonical_vector(name, text, canonical):
    try:
        tree = CanonicalChecker(canonical).parse()
    except NotCanonical as e:
        raise AssertionError("%s: expected text %r is not canonical: %s" % (name, canonical, e))
    # A lone number: the canonical text must denote the same value.
    m = SINGLE_NUMBER.fullmatch(text)
    if m and NUM_RE.fullmatch(m.group(1)):
        src = m.group(1)
        if INT_RE.fullmatch(src):
            assert INT_RE.fullmatch(canonical) and int(canonical) == int(src), name
        else:
            assert not INT_RE.fullmatch(canonical), name
            assert float(canonical) == float(src), name
    # Every symbol and keyword of the output must be spelled in the input
    # (sugar heads excepted): catches typos in hand-written expectations.
    stack = [tree]
    while stack:
        kind, value = stack.pop()
        if kind in ("list", "dict"):
            stack.extend(value)
        elif kind == "symbol" and value not in SUGAR_HEADS:
            assert value in text, "%s: symbol %r not in input" % (name, value)
        elif kind == "keyword":
            assert ":" + value in text, "%s: keyword %r not in input" % (name, value)


# ---------------------------------------------------------------------------
# Error vectors: position bookkeeping and sanity checks.
# ---------------------------------------------------------------------------

CODES = {
    "unexpected-eof", "unexpected-close", "invalid-number", "number-out-of-range",
    "invalid-escape", "invalid-surrogate", "invalid-utf8", "invalid-character",
    "invalid-token", "invalid-base64", "invalid-dict", "duplicate-key",
    "depth-limit", "size-limit", "out-of-memory", "trailing-input",
    "empty-input", "unrepresentable",
}
DELIM_BYTES = set(b" \t\r\n()[]{}\";'`,")
WS_BYTES = set(b" \t\r\n")


def line_col(data, offset):
    line = 1 + data.count(b"\n", 0, offset)
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, col


def offset_of(data, line, col):
    start = 0
    for _ in range(line - 1):
        start = data.index(b"\n", start) + 1
    off = start + col - 1
    assert off <= len(data), "column past the end of input"
    assert b"\n" not in data[start:off], "column past the end of its line"
    return off


def token_start(data, off):
    return off == 0 or data[off - 1] in DELIM_BYTES


def check_error_position(name, data, code, off, options):
    b = data[off] if off < len(data) else None

    def need(cond, what):
        if not cond:
            raise AssertionError("%s: offset %d: %s" % (name, off, what))

    if code in ("unexpected-eof", "empty-input"):
        need(off == len(data), "must be the end of input")
    elif code == "unexpected-close":
        need(b is not None and b in b")]}", "must be a closer")
    elif code in ("invalid-number", "number-out-of-range"):
        need(b is not None and b in b"-0123456789" and token_start(data, off), "must start a number token")
    elif code == "invalid-token":
        need(b is not None and b in b"#:" and token_start(data, off), "must start a # or : token")
    elif code == "invalid-escape":
        need(b == ord("\\"), "must be a backslash")
    elif code == "invalid-surrogate":
        hx = data[off + 2:off + 6]
        need(data[off:off + 2] == b"\\u" and 0xD800 <= int(hx, 16) <= 0xDFFF, "must be a surrogate escape")
    elif code == "invalid-utf8":
        need(b is not None and b >= 0x80, "must be a non-ASCII byte")
        try:
            data.decode("utf-8")
            need(False, "input is valid UTF-8")
        except UnicodeDecodeError as e:
            need(e.start == off, "first ill-formed sequence is at %d" % e.start)
    elif code == "invalid-character":
        need(b is not None and ((b < 0x20 and b not in WS_BYTES) or b == 0x7F
                                or data[off:off + 3] == b"\xef\xbb\xbf"),
             "must be a control byte or a leading BOM")
        if data[off:off + 3] == b"\xef\xbb\xbf" and off > 0:
            need(data[off - 1] not in b'"', "BOM in a symbol or keyword")
    elif code == "invalid-base64":
        need(data[off:off + 5] == b'#b64"', "must be the # of #b64")
    elif code == "invalid-dict":
        need(b is not None and (b == ord("}") or data[off - 1] in DELIM_BYTES or data[off - 1] in b"{"),
             "must be a } or start a key")
    elif code == "duplicate-key":
        need(b is not None and b in b':"', "must start a keyword or string")
    elif code == "depth-limit":
        need(b is not None and (b in b"([{'`," or data[off:off + 2] == b"#;"),
             "must be an opener, sugar character or #;")
    elif code == "size-limit":
        need(off == options["max_size"] and len(data) > options["max_size"], "must be max_size")
    elif code == "trailing-input":
        need(b is not None and b not in WS_BYTES and b not in b")]};", "must start a datum")
    else:
        need(False, "code not expected in text vectors")


def build_error(name, text, code, pos, mode, options):
    assert code in CODES, name
    assert mode in ("read", "read_one", "canonical"), name
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if pos == END:
        off = len(data)
    elif isinstance(pos, tuple):
        off = offset_of(data, *pos)
    else:
        off = pos
    assert 0 <= off <= len(data), name
    line, col = line_col(data, off)
    if isinstance(pos, tuple):
        assert (line, col) == pos, name
    assert offset_of(data, line, col) == off, name
    check_error_position(name, data, code, off, options)
    rec = {"name": name}
    try:
        as_text = data.decode("utf-8")
        plain = "\x00" not in as_text
    except UnicodeDecodeError:
        plain = False
    if plain:
        rec["input"] = as_text
    else:
        rec["input_hex"] = binascii.hexlify(data).decode("ascii")
    rec.update(code=code, line=line, col=col, offset=off, mode=mode)
    for key in ("max_depth", "max_size"):
        if key in options:
            rec[key] = options[key]
    assert set(options) <= {"max_depth", "max_size"}, name
    return rec


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def dump(rec):
    s = json.dumps(rec, ensure_ascii=False)
    # Keep one record per physical line for every line splitter.
    for ch in ("\u0085", "\u2028", "\u2029", "\ufeff"):
        s = s.replace(ch, "\\u%04x" % ord(ch))
    return s + "\n"


def main():
    if not __debug__:
        sys.exit("make_vectors.py: run without -O; its checks are assert statements")
    sys.setrecursionlimit(20000)  # the checker recurses; one vector nests 1024 deep
    # The worked example of spec/addresses.md.
    assert cid_text(b'(p "hello")') == "bafkrmidwcvtmu5jpuqc2yesf263ca6achethqsbam5w7cuqdbucahqxde4"
    assert sha3_text(b'(p "hello")') == (
        "sha3-761566ca752fa405ac1245d7b62078023926784820676df152030d0403c2e327")
    # The float checker against the examples of spec/canonical.md.
    for x, s in [(1.0, "1.0"), (100.0, "100.0"), (0.1, "0.1"), (1e-7, "1e-7"),
                 (1e21, "1e+21"), (1.5e300, "1.5e+300"), (1e20, "100000000000000000000.0"),
                 (123456789012345678901.0, "123456789012345680000.0"),
                 (0.000001, "0.000001"), (5e-324, "5e-324"), (-0.0, "0.0")]:
        assert canonical_float_text(x) == s, (x, s)

    names = set()
    canon_lines = []
    for name, text, canonical in CANONICAL:
        assert name not in names, "duplicate vector name " + name
        names.add(name)
        check_canonical_vector(name, text, canonical)
        data = canonical.encode("utf-8")
        canon_lines.append(dump({"name": name, "input": text, "canonical": canonical,
                                 "sha3": sha3_text(data), "cid": cid_text(data)}))
    error_lines = []
    codes_seen = set()
    for name, text, code, pos, mode, options in ERRORS:
        assert name not in names, "duplicate vector name " + name
        names.add(name)
        codes_seen.add(code)
        error_lines.append(dump(build_error(name, text, code, pos, mode, options)))
    missing = CODES - codes_seen - {"out-of-memory", "unrepresentable"}
    assert not missing, "codes without vectors: %s" % sorted(missing)
    assert len(canon_lines) >= 120 and len(error_lines) >= 80

    os.makedirs(VECTORS, exist_ok=True)
    for fname, lines in (("canonical.jsonl", canon_lines), ("errors.jsonl", error_lines)):
        with open(os.path.join(VECTORS, fname), "w", encoding="utf-8", newline="\n") as f:
            f.writelines(lines)
    print("canonical.jsonl: %d vectors, errors.jsonl: %d vectors" % (len(canon_lines), len(error_lines)))


if __name__ == "__main__":
    main()
