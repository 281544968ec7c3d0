"""sexp.Env: evaluation, loading, rendering, Python primitives, errors with
positions and traces, limits, and the GIL released around C++ work."""
import threading
import time

import pytest

import sexp
from sexp import Keyword, Symbol


def test_eval_and_definitions_persist():
    env = sexp.Env()
    assert env.eval("(define (sq x) (* x x)) (sq 7)") == 49
    assert env.eval("(sq 8)") == 64
    assert env.eval("(list 1 :k \"s\" 2.5 nil)") == [1, Keyword("k"), "s", 2.5, None]
    assert env.eval("{:a 1}") == {Keyword("a"): 1}
    assert env.eval([Symbol("sq"), 9]) == 81  # Python data evaluated as sx


def test_load(tmp_path):
    p = tmp_path / "lib.sx"
    p.write_text("(define greeting \"hi\")\n(defcomp ~hello (&key name) (p greeting \" \" name))\n")
    env = sexp.Env()
    env.load(str(p))
    assert env.render_html('(~hello :name "<Ann>")') == "<p>hi &lt;Ann&gt;</p>"
    with pytest.raises(FileNotFoundError):  # before: EvalError
        env.load(str(tmp_path / "missing.sx"))


def test_eval_errors_have_positions_and_traces():
    env = sexp.Env()
    env.eval("(define (f x) (+ x \"a\"))\n(define (g x) (list (f x)))", "lib.sx")
    with pytest.raises(sexp.EvalError) as e:
        env.eval("\n  (g 1)", "page.sx")
    err = e.value
    assert err.code == "type" and err.file == "lib.sx" and err.line == 1 and err.col > 1
    assert len(err.trace) >= 2 and "page.sx:2:3" in err.trace[-1]
    with pytest.raises(sexp.ReadError) as e:  # before: EvalError(code="read")
        env.eval("(unclosed")
    assert e.value.code == "unexpected-eof" and e.value.line == 1


def test_render_html_escapes_and_applies_the_url_policy():
    env = sexp.Env()
    assert env.render_html('(a :href "/x" "<b>")') == '<a href="/x">&lt;b&gt;</a>'
    # An unsafe URL is neutralized and counted, not an error for the page.
    assert env.render_html('(a :href "javascript:alert(1)" "x")') == \
        '<a href="about:invalid#unsafe-url">x</a>'
    assert env.render_stats["unsafe_urls"] == 1
    assert env.render_stats["first"].startswith("unsafe URL in :href of <a>")
    assert env.render_html('(a :href "/ok" "x")') == '<a href="/ok">x</a>'
    assert env.render_stats["unsafe_urls"] == 0  # counts the last render only
    assert env.render_html('(a :href "javascript:x" "t")', allow_any_url=True) == \
        '<a href="javascript:x">t</a>'


def test_render_a_component_with_python_data():
    env = sexp.Env()
    env.eval('(defcomp ~card (&key post) (article :id (str "p-" (:id post)) (h2 (:title post))'
             ' (ul (map (fn (t) (li t)) (:tags post)))))')
    post = {Keyword("id"): 3, Keyword("title"): "A & B", Keyword("tags"): ("x", "<y>")}
    html = env.render("~card", post=post)
    assert html == '<article id="p-3"><h2>A &amp; B</h2><ul><li>x</li><li>&lt;y&gt;</li></ul></article>'
    before = env.bytes_used
    for _ in range(200):
        env.render("~card", post=post)
    assert env.bytes_used == before  # arguments do not accumulate in the environment
    with pytest.raises(sexp.EvalError) as e:  # before: KeyError
        env.render("~missing")
    assert e.value.code == "unbound"
    with pytest.raises(TypeError):
        env.render("~card", post={Keyword("id"): object()})


def test_python_primitives():
    env = sexp.Env()

    @env.primitive
    def shout(s):
        return s.upper() + "!"

    @env.primitive("add-all", min_args=1)
    def add_all(*xs):
        return sum(xs)

    @env.primitive
    def user_record(name):
        return {Keyword("name"): name, Keyword("roles"): [Keyword("admin")], "n": None}

    assert env.eval('(shout "hi")') == "HI!"
    assert env.eval("(add-all 1 2 3)") == 6
    assert env.eval('(:roles (user-record "ann"))') == [Keyword("admin")]
    with pytest.raises(sexp.EvalError) as e:
        env.eval("(add-all)")
    assert e.value.code == "arity"

    @env.primitive
    def boom():
        raise RuntimeError("no database")

    with pytest.raises(sexp.EvalError) as e:
        env.eval("(boom)")
    assert e.value.code == "host" and "no database" in e.value.message

    @env.primitive
    def bad_result():
        return object()

    with pytest.raises(sexp.EvalError) as e:
        env.eval("(bad-result)")
    assert e.value.code == "host"


def test_capabilities_bind_io_primitives_only_where_granted():
    sandbox = sexp.Env(capabilities=["core", "string"])
    with pytest.raises(sexp.EvalError) as e:
        sandbox.eval("(map (fn (x) x) (list 1))")
    assert e.value.code == "unbound"
    full = sexp.Env(capabilities=["core", "list", "io"])

    @full.primitive(io=True)
    def read_clock():
        return 42

    assert full.eval("(read-clock)") == 42
    none = sexp.Env()

    @none.primitive(io=True)
    def clock():
        return 42

    with pytest.raises(sexp.EvalError) as e:  # (a name with '-' would be a custom element)
        none.eval("(clock)")
    assert e.value.code == "unbound"
    with pytest.raises(ValueError):
        sexp.Env(capabilities=["network"])


def test_limits():
    env = sexp.Env(limits={"max_steps": 10000})
    with pytest.raises(sexp.EvalError) as e:
        env.eval("(define (loop n) (loop (+ n 1))) (loop 0)")
    assert e.value.code == "step-limit"
    env = sexp.Env(limits={"timeout_ms": 50, "max_steps": 10 ** 12})
    t = time.monotonic()
    with pytest.raises(sexp.EvalError) as e:
        env.eval("(define (loop n) (loop (+ n 1))) (loop 0)")
    assert e.value.code == "timeout" and time.monotonic() - t < 5
    with pytest.raises(ValueError):
        sexp.Env(limits={"max_stepz": 1})


def test_the_gil_is_released_while_sx_runs():
    env = sexp.Env(limits={"max_steps": 10 ** 12})
    env.eval("(define (count n) (if (= n 0) 0 (count (- n 1))))")
    ticks = []
    done = threading.Event()

    def python_work():
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=python_work)
    t.start()
    try:
        before = len(ticks)
        env.eval("(count 20000000)")  # about a second of C++
        during = len(ticks) - before
    finally:
        done.set()
        t.join()
    assert during > 20  # the other thread ran while the evaluation did


def test_python_primitive_called_from_sx_while_other_threads_run():
    env = sexp.Env()
    seen = []

    @env.primitive
    def note(x):
        seen.append(threading.current_thread().name)
        return x

    threads = [threading.Thread(target=lambda: sexp.Env().eval("(+ 1 2)")) for _ in range(4)]
    for t in threads:
        t.start()
    assert env.eval("(map note (range 100))") == list(range(100))
    for t in threads:
        t.join()
    assert len(seen) == 100


def test_markup_from_a_primitive_renders_unescaped_and_str_does_not():
    env = sexp.Env()

    @env.primitive
    def trusted():
        return sexp.Markup("<b>ok</b>")

    @env.primitive
    def untrusted():
        return "<b>no</b>"

    class Html:  # any object with __html__ (markupsafe.Markup has one)
        def __html__(self):
            return "<i>too</i>"

    @env.primitive
    def duck():
        return Html()

    assert env.render_html("(div (trusted) (untrusted) (duck))") == \
        "<div><b>ok</b>&lt;b&gt;no&lt;/b&gt;<i>too</i></div>"
    assert env.eval("(trusted)") == sexp.Markup("<b>ok</b>")
    assert isinstance(env.eval("(trusted)"), sexp.Markup)


def test_one_call_at_a_time_per_env():
    env = sexp.Env(limits={"max_steps": 10 ** 12})
    env.eval("(define (count n) (if (= n 0) 0 (count (- n 1))))")
    errors = []

    def second():
        try:
            env.eval("(+ 1 2)")
        except RuntimeError as e:
            errors.append(str(e))

    started = threading.Event()

    @env.primitive
    def start():
        started.set()
        return 0

    t = threading.Thread(target=lambda: env.eval("(do (start) (count 30000000))"))
    t.start()
    started.wait()
    second()
    t.join()
    assert errors and "another thread" in errors[0]
    assert env.eval("(+ 1 2)") == 3  # free again


def test_a_primitive_may_call_back_into_its_env():
    env = sexp.Env()
    env.eval('(defcomp ~inner (&key k) (span (str "inner-" k)))')

    @env.primitive
    def inner(i):  # renders on the same Env while the outer render runs
        return sexp.Markup(env.render_html('(<> (map (fn (k) (~inner :k k)) (list 1 2)))'))

    @env.primitive
    def ask(x):
        return env.eval([Symbol("+"), x, 1])

    # The outer render's values (the long strings) survive the inner renders.
    html = env.render_html('(let [xs (map (fn (i) (str "item-" i "-" (ask i) "-xxxxxxxxxxxxxxxxxxxxxxxx"))'
                           ' (list 1 2 3 4 5 6))] (ul (map (fn (x) (li x (inner x))) xs)))')
    assert html.count("<li>") == 6 and "item-6-7-xxxx" in html
    assert html.count('<span>inner-1</span><span>inner-2</span>') == 6

    @env.primitive
    def define_now():
        return env.eval("(define late 1)")

    with pytest.raises(sexp.EvalError) as e:  # no definitions while a render runs
        env.render_html("(p (define-now))")
    assert "render" in e.value.message
    assert env.eval("(define late 2) late") == 2  # outside a render they are fine


def test_interrupt_from_another_thread():
    env = sexp.Env(limits={"max_steps": 10 ** 12})
    env.eval("(define (loop n) (loop (+ n 1)))")
    timer = threading.Timer(0.1, env.interrupt)
    timer.start()
    with pytest.raises(sexp.EvalError) as e:
        env.eval("(loop 0)")
    timer.join()
    assert e.value.code == "interrupted"
    assert env.eval("(+ 1 1)") == 2
def test_render_converts_many_key_names_across_calls():
    # Render's arguments: the Env caches keywords by their name's str, up
    # to a bound, then starts afresh; names built at run time (equal strs
    # that are distinct objects) and more names than the bound stay right.
    env = sexp.Env()
    env.eval('(defcomp ~show (&key d) (p (get d :k) (map (fn (k) (str " " k)) (keys d))))')
    for round in range(3):
        for i in range(150):
            name = "".join(["k", "e", "y", str(i)])
            d = {Keyword(name): i, Keyword("k"): "v%d" % i}
            assert env.render("~show", d=d) == "<p>v%d :%s :k</p>" % (i, name)


def test_render_arguments_with_html_are_trusted_like_primitive_results():
    import markupsafe
    env = sexp.Env()
    env.eval("(defcomp ~box (&key body) (div body))")
    assert env.render("~box", body="<b>x</b>") == "<div>&lt;b&gt;x&lt;/b&gt;</div>"
    assert env.render("~box", body=sexp.Markup("<b>x</b>")) == "<div><b>x</b></div>"
    assert env.render("~box", body=markupsafe.Markup("<i>y</i>")) == "<div><i>y</i></div>"
    assert env.render("~box", body=markupsafe.escape("<i>")) == "<div>&lt;i&gt;</div>"


def test_keyboard_interrupt_and_system_exit_in_a_primitive_propagate():
    # Issue 20, item 11: they are the host's, not sx's: `try` must not
    # swallow them, and Python sees the exception itself, not an EvalError.
    env = sexp.Env()
    calls = []

    @env.primitive
    def stop():
        calls.append(1)
        raise KeyboardInterrupt()

    @env.primitive
    def leave():
        raise SystemExit(3)

    with pytest.raises(KeyboardInterrupt):
        env.eval("(stop)")
    with pytest.raises(KeyboardInterrupt):
        env.eval('(try (stop) (catch e "swallowed"))')
    with pytest.raises(KeyboardInterrupt):
        env.render_html('(div (try (p (stop)) (catch e "swallowed")))')
    with pytest.raises(SystemExit) as exit_info:
        env.eval("(list 1 (try (leave) (catch e 2)))")
    assert exit_info.value.code == 3
    assert len(calls) == 3
    # The environment goes on working, and ordinary exceptions are still
    # `host` errors that `try` catches.
    @env.primitive
    def boom():
        raise RuntimeError("no database")

    assert env.eval('(try (boom) (catch e (:code e)))') == "host"
    assert env.eval("(+ 1 2)") == 3
