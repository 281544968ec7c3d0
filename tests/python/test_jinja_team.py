"""What a Jinja/Quart team reaches for (issue 22, item 8), the parts done:
sexp.__version__, primitives with keyword arguments, the i18n hook (_),
reloading changed files in development (Env.reload_changed, Dispatcher
reload=True)."""
import asyncio
import os
import pathlib
import re

import quart

import sexp
import sexp.quart as sq


def test_version_is_the_projects():
    cmake = (pathlib.Path(__file__).resolve().parents[2] / "CMakeLists.txt").read_text()
    assert sexp.__version__ == re.search(r"project\(sexp VERSION ([0-9.]+)", cmake).group(1)


def test_primitives_receive_keyword_arguments():
    env = sexp.Env()

    @env.primitive
    def money(cents, *, currency="EUR", show_sign=False):
        sign = "+" if show_sign and cents > 0 else ""
        return "%s%d.%02d %s" % (sign, cents // 100, cents % 100, currency)

    @env.primitive
    def plain(*args):  # no keyword parameters: keywords stay positional
        return len(args)

    assert env.eval("(money 850)") == "8.50 EUR"
    assert env.eval('(money 850 :currency "GBP" :show-sign true)') == "+8.50 GBP"
    assert env.eval("(plain 1 :k 2)") == 3
    assert env.eval('(try (money 1 :colour "red") (catch e (:code e)))') == "host"


def test_the_i18n_hook():
    env = sexp.Env()
    env.translations({"Add": "Hinzufügen", "<b>": "<b>"}.get)
    assert env.render_html('(button (_ "Add"))') == "<button>Hinzufügen</button>"
    assert env.render_html('(p (_ "<b>"))') == "<p>&lt;b&gt;</p>"  # text, escaped


def test_reload_changed_files(tmp_path):
    f = tmp_path / "c.sx"
    f.write_text('(defcomp ~c () (p "one"))')
    env = sexp.Env()
    env.load(f)
    assert env.render("~c") == "<p>one</p>" and env.reload_changed() == []
    f.write_text('(defcomp ~c () (p "two"))')
    os.utime(f, ns=(1, 1))  # a different modification time, whatever the clock
    assert env.reload_changed() == [str(f)]
    assert env.render("~c") == "<p>two</p>"


def test_dispatcher_reload(tmp_path):
    site = tmp_path / "site.sx"
    site.write_text('(defroute "/" () (p "one"))')
    d = sq.Dispatcher(str(site), reload=True)
    app = quart.Quart(__name__)
    d.install(app)

    async def get():
        r = await app.test_client().get("/")
        return await r.get_data(as_text=True)
    assert asyncio.run(get()) == "<p>one</p>"
    site.write_text('(defroute "/" () (p "two"))')
    os.utime(site, ns=(1, 1))
    assert asyncio.run(get()) == "<p>two</p>"


def test_format_specs_match_pythons_format():
    # The independent implementation: Python's own format() on the same
    # specs and values (spec/evaluation.md lists the subset).
    env = sexp.Env()
    specs = [",.2f", ".2f", ".0f", ",", ",d", "d", "+d", " d", "05d", "08.3f", ">8", "<8", "^8",
             "*^9", "8", ".1%", ".3e", "+.2e", ",.1f", "=+8d", "x<5"]
    numbers = [0, 7, -42, 1234567, -1234567, 3.14159, -0.001, 1234567.891, 0.256, 1e6]
    checked = 0
    for spec in specs:
        for value in numbers:
            if spec.rstrip("0123456789").endswith("d") and isinstance(value, float):
                continue  # 'd' takes integers (both refuse floats)
            if spec in (",", "8", ">8", "<8", "^8", "*^9", "x<5") and isinstance(value, float):
                continue  # floats display as JavaScript does in sx ({} rules), not as repr
            want = format(value, spec)
            got = env.eval('(format "{:%s}" %s)' % (spec, sexp.dumps(value)))
            assert got == want, (spec, value, got, want)
            checked += 1
    for spec in [">6", "<6", "^6", "*^7", ".3", ".2s", "s"]:
        for text in ["ab", "été", "abcdef"]:
            assert env.eval('(format "{:%s}" "%s")' % (spec, text)) == format(text, spec)
            checked += 1
    assert checked > 150


def test_a_debug_page_shows_sx_frames_with_source_lines(tmp_path):
    site = tmp_path / "site.sx"
    site.write_text('(define (price p) (* (:price p) "x"))\n'
                    '(defroute "/" () (p "Price: " (price {:price 2})))\n')
    d = sq.Dispatcher(str(site), debug=True)
    app = quart.Quart(__name__)
    d.install(app)

    async def get():
        r = await app.test_client().get("/")
        return r.status_code, await r.get_data(as_text=True)
    status, body = asyncio.run(get())
    assert status == 500 and "<h1>sx error: type</h1>" in body
    assert "%s:1:" % site in body  # the failing call, with its file and line
    assert "(define (price p) (* (:price p) &quot;x&quot;))" in body  # its source, escaped
    assert "%s:2:" % site in body  # the caller's frame
    # Without debug the page shows the code only.
    d2 = sq.Dispatcher(str(site))
    app2 = quart.Quart(__name__)
    d2.install(app2)

    async def get2():
        r = await app2.test_client().get("/")
        return await r.get_data(as_text=True)
    assert "define" not in asyncio.run(get2())


def test_format_date_matches_pythons_strftime():
    import datetime
    env = sexp.Env()
    whens = ["2026-12-07", "2026-12-07T10:05:00Z", "2026-12-07T10:05:09+01:00",
             "1999-02-28T23:59:59-05:30", "2024-02-29T00:00:00+00:00"]
    patterns = ["%d %b %Y", "%Y-%m-%d %H:%M:%S", "%A %d %B", "%j %U", "%H:%M %z", "%a, %d %b %Y",
                "%I:%M %p", "%%Y"]
    for when in whens:
        parsed = datetime.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if len(when) == 10:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        for pattern in patterns:
            got = env.eval('(format-date "%s" "%s")' % (when, pattern))
            assert got == parsed.strftime(pattern), (when, pattern)


def test_include_from_a_search_path(tmp_path):
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "nav.sx").write_text('(defcomp ~nav () (nav (a :href "/" "Home")))')
    (tmp_path / "secret.sx").write_text('(define secret "s")')
    (tmp_path / "site.sx").write_text('(include "partials/nav.sx") (include "partials/nav.sx")\n'
                                      '(defcomp ~page () (<> (~nav) (main "hi")))')
    env = sexp.Env()
    env.search_path(tmp_path / "partials", tmp_path)
    env.load(tmp_path / "site.sx")
    assert env.render("~page") == '<nav><a href="/">Home</a></nav><main>hi</main>'
    only_partials = sexp.Env()
    only_partials.search_path(tmp_path / "partials")
    for bad in ['"../secret.sx"', '"/etc/passwd"', '"missing.sx"', "42"]:
        try:
            only_partials.eval("(include %s)" % bad)
        except sexp.EvalError as e:
            assert e.code == "host"
        else:
            raise AssertionError(bad)
