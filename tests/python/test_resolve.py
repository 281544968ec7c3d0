"""await env.resolve / env.render_page: I/O in rounds through libsexp's
resolver, with async services, on the event loop's own thread."""
import asyncio
import threading
import time

import pytest

import sexp
from sexp import Symbol

ALL = ["core", "string", "list", "dict", "io"]


def run(coro):
    return asyncio.run(coro)


def make_env():
    env = sexp.Env(capabilities=ALL)
    calls = []

    @env.service
    async def query(ctx, *args):
        calls.append(args)
        await asyncio.sleep(0.05)
        return [Symbol("got"), *args]

    return env, calls


def test_twenty_independent_fetches_resolve_in_one_round():
    env, calls = make_env()
    start = time.perf_counter()
    value = run(env.resolve('(ul (map (fn (i) (li (query "item" i))) (range 20)))'))
    elapsed = time.perf_counter() - start
    assert env.last_resolve_stats["rounds"] == 2  # one round of I/O, then the page
    assert env.last_resolve_stats["requests"] == 20
    assert len(calls) == 20
    assert elapsed < 0.150, elapsed  # concurrent: ~50 ms, not 20 x 50 ms
    assert value[1][19] == [Symbol("li"), [Symbol("got"), "item", 19]]


def test_a_chain_of_three_dependent_fetches_takes_three_rounds():
    env = sexp.Env(capabilities=ALL)
    chain = {"a": "b", "b": "c", "c": None}

    @env.service
    async def query(ctx, key):
        return {sexp.Keyword("next"): chain[key]}

    page = """(let ((a (query "a")))
                (let ((b (query (get a :next))))
                  (let ((c (query (get b :next))))
                    (list (get a :next) (get b :next) (get c :next)))))"""
    assert run(env.resolve(page)) == ["b", "c", None]
    assert env.last_resolve_stats["rounds"] == 4


def test_duplicates_are_fetched_once_and_an_action_runs_once():
    env, calls = make_env()
    bought = []

    @env.service
    async def action(ctx, what):
        bought.append(what)
        return {sexp.Keyword("order"): 7}

    page = """(let ((order (action "buy")))
                (list (query "x") (query "x") (query (get order :order)) (query "x")))"""
    value = run(env.resolve(page))
    assert bought == ["buy"]  # replays read the memo
    assert calls == [("x",), (7,)]  # x in round 2 (after the action), then 7
    assert value[0] == value[1] == [Symbol("got"), "x"]
    assert env.last_resolve_stats["merged"] >= 1


def test_a_failing_fetch_is_an_error_the_page_can_handle():
    env = sexp.Env(capabilities=ALL)

    @env.service
    async def query(ctx, key):
        if key == "bad":
            raise ConnectionError("backend down")
        return key.upper()

    page = '(list (try (query "bad") (catch e (get e :message))) (query "good"))'
    value = run(env.resolve(page))
    assert value[1] == "GOOD"
    assert "ConnectionError: backend down" in value[0]
    with pytest.raises(sexp.EvalError) as e:
        run(env.resolve('(p (query "bad"))'))
    assert e.value.code == "io"


def test_batch_services_get_one_call_per_round():
    env = sexp.Env(capabilities=ALL)
    batches = []

    @env.service("user", batch=True)
    async def users(ctx, requests):
        batches.append(requests)
        return [{sexp.Keyword("name"): f"user{uid}"} for (uid,) in requests]

    html = run(env.render_page(
        '(ul (map (fn (id) (li (get (user id) :name))) (list 3 1 3 2)))'))
    assert html == "<ul><li>user3</li><li>user1</li><li>user3</li><li>user2</li></ul>"
    assert batches == [[(3,), (1,), (2,)]]  # merged, in the order reached


def test_context_is_passed_and_services_run_on_the_loop_thread():
    env = sexp.Env(capabilities=ALL)
    seen = []

    @env.service("current-user")
    async def current_user(ctx):
        seen.append((ctx["user"], threading.get_ident()))
        return ctx["user"]

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        t = asyncio.create_task(ticker())
        html = await env.render_page('(p "hello " (current-user))', context={"user": "ada"})
        t.cancel()
        return html, threading.get_ident(), ticks

    html, loop_thread, ticks = run(main())
    assert html == "<p>hello ada</p>"
    assert seen == [("ada", loop_thread)]
    assert ticks >= 1  # the loop kept running while the page waited


def test_results_must_be_sx_data_and_services_must_exist():
    env = sexp.Env(capabilities=ALL)

    @env.service
    async def query(ctx):
        return object()

    value = run(env.resolve('(list (try (query) (catch e (get e :message))) '
                            '(try (frag 1) (catch e (get e :code))))'))
    assert "not sx data" in value[0]
    assert value[1] == "unbound"  # frag was never registered: not a service at all


def test_services_need_the_io_capability():
    env = sexp.Env()
    with pytest.raises(ValueError, match="io"):
        @env.service
        async def query(ctx):
            return 1


def test_outside_resolve_a_service_is_an_io_error():
    env, _ = make_env()
    with pytest.raises(sexp.EvalError) as e:
        env.eval('(query 1)')
    assert e.value.code == "io"


# --- the subtree cache, with a real redis-server ---------------------------

def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis(tmp_path):
    import shutil
    import socket
    import subprocess
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.02)
    yield port, proc
    proc.kill()
    proc.wait()


def test_cached_subtrees_across_tiers_and_redis_stopped_mid_run(redis, tmp_path):
    port, proc = redis
    env = sexp.Env(capabilities=ALL)
    fetched = []

    @env.service
    async def frag(ctx, name, n):
        fetched.append((name, n))
        return [Symbol("p"), f"{name} {n}"]

    env.use_subtree_cache(memory_bytes=1 << 20, redis_port=port, disk=str(tmp_path / "cas"))
    env.eval('(defcomp ~card (&key n) (div :class "card" (frag "card" n)))')
    page = '(main (map (fn (n) (cached "~card" :n n)) (list {})))'

    first = run(env.render_page(page.format("1 2 3")))
    assert first == ('<main><div class="card"><p>card 1</p></div><div class="card">'
                     '<p>card 2</p></div><div class="card"><p>card 3</p></div></main>')
    assert len(fetched) == 3
    # Unchanged: zero fetches, every subtree a hit (the memory tier's).
    assert run(env.render_page(page.format("1 2 3"))) == first
    assert len(fetched) == 3
    stats = env.cache_stats()
    assert [t["name"] for t in stats["tiers"]] == ["memory", "redis", "disk"]
    assert stats["tiers"][0]["hits"] == 3

    proc.kill()  # Redis goes away mid-run
    proc.wait()
    html = run(env.render_page(page.format("1 2 4")))  # changed data: one new subtree
    assert "card 4" in html and "card 1" in html
    assert fetched[3:] == [("card", 4)]  # only the affected subtree ran
    stats = env.cache_stats()
    assert stats["tiers"][1]["errors"] >= 1  # reported, not fatal
    assert stats["tiers"][1]["last_error"]


def test_plain_functions_may_be_services_too():
    env = sexp.Env(capabilities=ALL)

    @env.service
    def double(ctx, n):
        return 2 * n

    assert run(env.resolve("(list (double 2) (double 21))")) == [4, 42]
