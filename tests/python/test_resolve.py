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
