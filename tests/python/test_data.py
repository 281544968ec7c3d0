"""Data from Python as it comes (issue 22, item 1): rows with str keys,
nested rows, dataclasses, Decimal, datetime, Enum, UUID, Mappings, None —
read in sx with keywords. The rule: README "Data from Python",
spec/evaluation.md "Data from hosts"."""
import dataclasses
import datetime
import decimal
import enum
import sqlite3
import types
import uuid

import pytest

import sexp
from sexp import Keyword


@pytest.fixture
def env():
    env = sexp.Env()
    env.eval('(defcomp ~c (&key p) (span (:price p) "|" (get p :price) "|" (get p "price")))')
    env.eval('(defcomp ~show (&key v) (code (str v)))')
    return env


def test_rows_with_str_keys_are_read_with_keywords(env):
    # Before: <span>||850</span> — only the string-key lookup found it.
    assert env.render("~c", p={"price": 850}) == "<span>850|850|850</span>"


def test_keyword_key_wins_and_data_is_unchanged(env):
    env.eval('(defcomp ~k (&key p) (span (:a p) "|" (str (keys p))))')
    assert env.render("~k", p={"a": 1, Keyword("a"): 2}) == "<span>2|(&quot;a&quot; :a)</span>"
    # What a component sees: the dict as given, its keys still strings.
    assert env.render("~show", v={"price": 850}) == "<code>{&quot;price&quot; 850}</code>"
    assert sexp.canonical({"price": 850}) == '{"price" 850}'


def test_nested_rows(env):
    env.eval('(defcomp ~list (&key shop) (ul (map (fn (i) (li (:name i) ":" (:qty (:stock i))))'
             ' (:items shop))))')
    shop = {"items": [{"name": "rye", "stock": {"qty": 3}}, {"name": "spelt", "stock": {"qty": 0}}]}
    assert env.render("~list", shop=shop) == "<ul><li>rye:3</li><li>spelt:0</li></ul>"


def test_keyword_arguments_write_underscore_as_dash():
    env = sexp.Env()
    env.eval('(defcomp ~p (&key sale-price) (b sale-price))')
    # Before: EvalError "~p has no parameter :sale_price (it takes :sale-price)".
    assert env.render("~p", sale_price=1) == "<b>1</b>"


@dataclasses.dataclass
class Listing:
    title: str
    price: decimal.Decimal
    listed: datetime.date
    seller: int | None = None


class Colour(enum.Enum):
    RED = "red"
    DEEP = {"depth": 2}


def test_dataclass_is_the_dict_of_its_fields(env):
    item = Listing("Rye", decimal.Decimal("8.50"), datetime.date(2026, 12, 7))
    env.eval('(defcomp ~card (&key item) (p (:title item) " " (:price item) " " (:listed item)'
             ' (when (nil? (:seller item)) " (no seller)")))')
    assert env.render("~card", item=item) == "<p>Rye 8.5 2026-12-07 (no seller)</p>"


@pytest.mark.parametrize("value, text", [
    (decimal.Decimal("850"), "850"),          # integral: an int
    (decimal.Decimal("1E+3"), "1000"),
    (decimal.Decimal("8.50"), "8.5"),         # else the nearest float
    (decimal.Decimal("-0.1"), "-0.1"),
    (datetime.datetime(2026, 12, 7, 10, 5, tzinfo=datetime.timezone.utc),
     '"2026-12-07T10:05:00+00:00"'),
    (datetime.date(2026, 12, 7), '"2026-12-07"'),
    (datetime.time(9, 30), '"09:30:00"'),
    (Colour.RED, '"red"'),
    (Colour.DEEP, '{"depth" 2}'),
    (uuid.UUID(int=1), '"00000000-0000-0000-0000-000000000001"'),
    (types.MappingProxyType({"a": 1}), '{"a" 1}'),
    (None, "nil"),
])
def test_documented_forms(value, text):
    assert sexp.canonical([value]) == "(" + text + ")"


def test_decimal_stays_exact_when_integral():
    env = sexp.Env()
    assert env.eval([sexp.Symbol("+"), decimal.Decimal("9007199254740993"), 0]) == 9007199254740993


def test_non_finite_decimal_and_unknown_types_are_errors_with_a_path():
    with pytest.raises(ValueError, match="not finite"):
        sexp.canonical({"a": decimal.Decimal("NaN")})
    with pytest.raises(TypeError, match=r"cannot convert a object to sx .*dataclasses"):
        sexp.canonical({"a": [object()]})


def test_sqlite_rows_and_services_returning_rows():
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.execute("create table p (name text, price integer)")
    db.executemany("insert into p values (?, ?)", [("rye", 850), ("spelt", 920)])
    env = sexp.Env(capabilities=["core", "string", "list", "dict", "io"])

    @env.service
    async def products(context):
        return db.execute("select name, price from p order by name").fetchall()

    env.eval('(defcomp ~t (&key rows) (ul (map (fn (r) (li (:name r) "=" (:price r))) rows)))')
    import asyncio
    html = asyncio.run(env.render_page('(~t :rows (products))'))
    assert html == "<ul><li>rye=850</li><li>spelt=920</li></ul>"
