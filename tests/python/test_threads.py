"""The event loop and threads (issue 22, item 7): big renders off the loop
(render_async, render_page/respond offload), one Env per worker thread
(EnvPool), and coroutines sharing an Env taking turns instead of colliding."""
import asyncio
import threading

import quart

import sexp
import sexp.quart as sq

CARDS = 20_000
COMPONENTS = ('(defcomp ~card (&key n) (article :class "card" (h2 "Item " n) (p (* n 3))))'
              '(defcomp ~feed (&key n) (main (map (fn (i) (~card :n i)) (range n))))')


def make_env():
    env = sexp.Env(capabilities=["core", "string", "list", "dict", "io"])
    env.eval(COMPONENTS)
    return env


async def ticks_while(coro):
    """How often a ticker ran on the loop while `coro` was awaited. It yields
    with sleep(0), not a timed sleep: on a machine busy with other work (CI
    runs fuzzers beside this) a timer may not fire before a 20 ms render is
    over, but a loop that is free runs the ticker again and again."""
    ticks = 0
    done = False

    async def ticker():
        nonlocal ticks
        while not done:
            await asyncio.sleep(0)
            ticks += 1
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        result = await coro
    finally:
        done = True
        await task
    return result, ticks


def test_render_async_leaves_the_loop_running():
    env = make_env()
    expected = env.render("~feed", n=CARDS)

    async def sync_render():
        return env.render("~feed", n=CARDS)  # blocks the loop for the whole render

    async def main():
        blocked = await ticks_while(sync_render())
        offloaded = await ticks_while(env.render_async("~feed", n=CARDS))
        return blocked, offloaded
    (html1, ticks_blocked), (html2, ticks_offloaded) = asyncio.run(main())
    assert html1 == html2 == expected
    assert ticks_blocked <= 1  # the ticker could not run during a sync render
    assert ticks_offloaded > ticks_blocked


def test_coroutines_sharing_an_env_take_turns():
    env = make_env()

    @env.service
    async def slow(context, n):
        await asyncio.sleep(0.01)
        return n

    async def main():
        jobs = [env.render_async("~feed", n=500) for _ in range(4)]
        jobs += [env.render_page("(~card :n (slow %d))" % i, offload=i % 2 == 0) for i in range(6)]
        return await asyncio.gather(*jobs)
    out = asyncio.run(main())
    assert len(set(out[:4])) == 1 and out[0].startswith("<main>")
    assert out[4:] == [env.render("~card", n=i) for i in range(6)]


def test_env_pool_renders_on_its_threads_with_an_env_each():
    made = []

    def factory():
        made.append(threading.current_thread().name)
        return make_env()

    pool = sexp.EnvPool(factory, threads=2)

    async def main():
        return await asyncio.gather(*[pool.render("~feed", n=200) for _ in range(8)])
    try:
        out = asyncio.run(main())
    finally:
        pool.close()
    assert len(set(out)) == 1 and out[0] == make_env().render("~feed", n=200)
    assert 1 <= len(made) <= 2 and all(name.startswith("sexp-env") for name in made)


def test_respond_offload_and_respond_page_offload():
    env = make_env()
    app = quart.Quart(__name__)

    @app.get("/a")
    async def a():
        return await sq.respond(sq.call("~feed", n=50), env=env, offload=True)

    @app.get("/b")
    async def b():
        return await sq.respond_page("(~feed :n 50)", env=env, offload=True)

    async def main():
        client = app.test_client()
        r1 = await client.get("/a")
        r2 = await client.get("/b")
        return await r1.get_data(as_text=True), await r2.get_data(as_text=True)
    a_html, b_html = asyncio.run(main())
    assert a_html == b_html == env.render("~feed", n=50)


def test_render_stream_sends_chunks_as_they_render():
    env = make_env()
    whole = env.render("~feed", n=5000).encode()

    async def main():
        chunks = [c async for c in env.render_stream("~feed", n=5000, chunk_size=8192)]
        return chunks
    chunks = asyncio.run(main())
    assert b"".join(chunks) == whole
    assert len(chunks) > 10 and all(len(c) >= 8192 for c in chunks[:-1])


def test_a_consumer_that_leaves_ends_the_render():
    env = make_env()

    async def main():
        stream = env.render_stream("~feed", n=CARDS, chunk_size=1024)
        first = await stream.__anext__()
        await stream.aclose()  # the client went away after one chunk
        # The Env is free again, and renders as before.
        return first, await env.render_async("~card", n=1)
    first, after = asyncio.run(main())
    assert first.startswith(b"<main><article") and after == env.render("~card", n=1)


def test_a_render_error_ends_the_stream_with_it():
    env = make_env()
    env.eval('(defcomp ~bad (&key n) (div (map (fn (i) (if (= i 19000) (+ i "x") (p i)))'
             ' (range n))))')

    async def main():
        got = []
        try:
            async for chunk in env.render_stream("~bad", n=20000, chunk_size=256):
                got.append(chunk)
        except sexp.EvalError as e:
            return got, e.code
        return got, None
    got, code = asyncio.run(main())
    assert code == "type" and b"".join(got).startswith(b"<div><p>0</p>") and len(got) > 1


def test_respond_stream():
    env = make_env()
    app = quart.Quart(__name__)

    @app.get("/s")
    async def s():
        return await sq.respond(sq.call("~feed", n=3000), env=env, stream=True)

    async def main():
        r = await app.test_client().get("/s")
        return r, await r.get_data(as_text=True)
    r, body = asyncio.run(main())
    assert body == env.render("~feed", n=3000)
    assert "ETag" not in r.headers and r.headers["Vary"] == "Accept, Sexpr-Have"
