"""sexp.jinja: the Jinja global sexp(...) and the sx primitive (jinja …),
both directions, nesting, escaping and errors."""
import asyncio

import jinja2
import markupsafe
import pytest
import quart

import sexp
import sexp.jinja
from sexp import Keyword, Symbol
from sexp.jinja import KeywordDict

COMPONENTS = """
(defcomp ~card (&key title post-id &rest children)
  (article :id (str "post-" post-id) :title title (h2 title) children))
(defcomp ~wrap (&key x) (section (jinja "inner.html" :x x)))
(defcomp ~author (&key post) (cite (:author-name post)))
(defcomp ~box (&key items) (div (map (fn (x) (span x)) items)))
"""

TEMPLATES = {
    "hello.html": "<b>{{ who }}</b>",
    "vars.html": "{{ post_title }}|{{ n + 1 }}|{{ tags|join(',') }}|{{ flag }}",
    "attr.html": '<a title="{{ t }}" href="/x">{{ t }}</a>',
    "body.html": "<div>{{ body }}</div>",
    "post.html": "{{ post.title }}/{{ post['title'] }}/{{ post.author_name }}",
    "inner.html": "<i>{{ x }}</i>",
    "calls-sx.html": "{{ sexp('~card', title=t, post_id=1) }}",
    "plain.txt": "{{ t }}",
    "broken.html": "{% if %}",
    "strict.html": "{{ nope }}",
}


@pytest.fixture
def envs():
    sx = sexp.Env()
    sx.eval(COMPONENTS)
    jj = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES),
                            autoescape=jinja2.select_autoescape(["html"]))
    sexp.jinja.install(jj, sx)
    return jj, sx


def render(jj, source, **context):
    return jj.from_string(source).render(**context)


# --- sx → Jinja: the (jinja …) primitive -------------------------------------

def test_primitive_renders_a_template_as_trusted_markup(envs):
    jj, sx = envs
    # The template's own markup is written as is; the value is escaped once.
    assert sx.render_html('(p (jinja "hello.html" :who "<Ann> & co"))') == \
        "<p><b>&lt;Ann&gt; &amp; co</b></p>"
    value = sx.eval('(jinja "hello.html" :who "x")')
    assert isinstance(value, sexp.Markup) and value == "<b>x</b>"


def test_keywords_become_variables_with_underscores(envs):
    _, sx = envs
    out = sx.render_html('(jinja "vars.html" :post-title "T" :n 41 :tags (list "a" "b") :flag true)')
    assert out == "T|42|a,b|True"


def test_sx_dicts_reach_jinja_by_attribute_and_item(envs):
    _, sx = envs
    out = sx.render_html('(jinja "post.html" :post {:title "<T>" :author-name "Bo"})')
    assert out == "&lt;T&gt;/&lt;T&gt;/Bo"
    d = KeywordDict({Keyword("a-b"): 1})
    assert d["a-b"] == 1 and d["a_b"] == 1 and d[Keyword("a-b")] == 1
    with pytest.raises(KeyError):
        d["c"]


def test_sx_markup_stays_trusted_in_jinja_and_strings_do_not(envs):
    _, sx = envs
    assert sx.render_html('(jinja "body.html" :body (raw! "<i>ok</i>"))') == "<div><i>ok</i></div>"
    assert sx.render_html('(jinja "body.html" :body "<i>no</i>")') == \
        "<div>&lt;i&gt;no&lt;/i&gt;</div>"


def test_attribute_xss_from_sx_is_escaped_by_jinja(envs):
    _, sx = envs
    evil = '\\" onmouseover=\\"alert(1)\\" x=\\"<script>'
    out = sx.render_html('(jinja "attr.html" :t "%s")' % evil)
    assert out == ('<a title="&#34; onmouseover=&#34;alert(1)&#34; x=&#34;&lt;script&gt;" '
                   'href="/x">&#34; onmouseover=&#34;alert(1)&#34; x=&#34;&lt;script&gt;</a>')


# --- Jinja → sx: the sexp(...) global ----------------------------------------

def test_global_calls_a_component_with_data(envs):
    jj, _ = envs
    out = render(jj, "{{ sexp('~card', title=t, post_id=7) }}", t='<script>alert("x")</script>')
    # Markup: Jinja does not escape the sx output again; sx escaped the value.
    assert out == ('<article id="post-7" title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">'
                   '<h2>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h2></article>')
    g = jj.globals["sexp"]
    assert isinstance(g("~card", title="x"), markupsafe.Markup)


def test_global_renders_sx_text_and_data(envs):
    jj, _ = envs
    assert render(jj, """{{ sexp('(p :class "x" "a<b")') }}""") == '<p class="x">a&lt;b</p>'
    assert render(jj, "{{ sexp(tree) }}", tree=[Symbol("em"), "<1>"]) == "<em>&lt;1&gt;</em>"
    assert render(jj, "{{ sexp('~card') }}") == '<article id="post-"><h2></h2></article>'


def test_keyword_arguments_are_data_not_code(envs):
    jj, _ = envs
    injected = '") (raw! "<script>x</script>") ("'
    out = render(jj, "{{ sexp('~card', title=t) }}", t=injected)
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_jinja_markup_stays_trusted_in_sx(envs):
    jj, _ = envs
    out = render(jj, "{{ sexp('~box', items=[kids, plain|safe, plain]) }}",
                 kids=markupsafe.Markup("<i>k</i>"), plain="<u>p</u>")
    assert out == "<div><span><i>k</i></span><span><u>p</u></span><span>&lt;u&gt;p&lt;/u&gt;</span></div>"


def test_undefined_is_nil_unless_strict(envs):
    jj, sx = envs
    assert render(jj, "{{ sexp('~card', title=missing) }}") == \
        '<article id="post-"><h2></h2></article>'
    strict = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    sexp.jinja.install(strict, sx, primitive_name="jinja-strict")
    with pytest.raises(jinja2.UndefinedError):
        strict.from_string("{{ sexp('~card', title=missing) }}").render()


def test_keyword_dicts_go_back_to_sx_unchanged(envs):
    jj, _ = envs
    post = KeywordDict({Keyword("author-name"): "<Bo>"})
    assert render(jj, "{{ sexp('~author', post=post) }}", post=post) == "<cite>&lt;Bo&gt;</cite>"


# --- nesting -----------------------------------------------------------------

def test_jinja_in_sx_in_jinja(envs):
    jj, _ = envs
    out = render(jj, "<main>{{ sexp('~wrap', x=x) }}</main>", x="<1>")
    assert out == "<main><section><i>&lt;1&gt;</i></section></main>"


def test_sx_in_jinja_in_sx(envs):
    jj, sx = envs
    assert sx.render_html('(div (jinja "calls-sx.html" :t "<x>"))') == \
        '<div><article id="post-1" title="&lt;x&gt;"><h2>&lt;x&gt;</h2></article></div>'
    # And deeper, through a second bridge of the same sx environment.
    other = jinja2.Environment(loader=jinja2.DictLoader(
        {"x.html": "{{ first('~card', title='x') }}"}), autoescape=True)
    other.globals["first"] = jj.globals["sexp"]
    sexp.jinja.install(other, sx, primitive_name="jinja-2")
    assert sx.render_html('(div (jinja-2 "x.html") (jinja "calls-sx.html" :t "y"))') == \
        ('<div><article id="post-" title="x"><h2>x</h2></article>'
         '<article id="post-1" title="y"><h2>y</h2></article></div>')


# --- errors ------------------------------------------------------------------

def test_missing_template_is_a_host_error(envs):
    _, sx = envs
    with pytest.raises(sexp.EvalError) as e:
        sx.render_html('(div (jinja "missing.html"))', "page.sx")
    assert e.value.code == "host"
    assert "TemplateNotFound" in e.value.message and "missing.html" in e.value.message
    assert e.value.file == "page.sx" and e.value.line == 1


@pytest.mark.parametrize("call, words", [
    ('(jinja 3)', "template name must be a string"),
    ('(jinja "hello.html" :who)', "in pairs"),
    ('(jinja "hello.html" "who" 1)', "expected a keyword"),
    ('(jinja "plain.txt" :t "<x>")', "without autoescape"),
    ('(jinja "broken.html")', "TemplateSyntaxError"),
    ('(jinja)', ""),
])
def test_bad_calls_are_host_errors(envs, call, words):
    _, sx = envs
    with pytest.raises(sexp.EvalError) as e:
        sx.render_html(call)
    assert words in e.value.message
    assert e.value.code == ("arity" if call == "(jinja)" else "host")


def test_template_errors_surface_from_sx(envs):
    _, sx = envs
    strict = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True,
                                undefined=jinja2.StrictUndefined)
    sexp.jinja.install(strict, sx, primitive_name="jinja-strict")
    with pytest.raises(sexp.EvalError) as e:
        sx.render_html('(jinja-strict "strict.html")')
    assert e.value.code == "host" and "UndefinedError" in e.value.message


def test_unknown_component_and_sx_errors_surface_from_jinja(envs):
    jj, _ = envs
    with pytest.raises(sexp.EvalError) as e:
        render(jj, "{{ sexp('~nope', a=1) }}")
    assert e.value.code == "unbound"
    with pytest.raises(sexp.EvalError) as e:
        render(jj, """{{ sexp('(a :title (list 1 2) "x")') }}""")
    assert e.value.code == "render"
    # An unsafe URL is not an error: it is neutralized.
    assert render(jj, """{{ sexp('(a :href "javascript:alert(1)" "x")') }}""") == \
        '<a href="about:invalid#unsafe-url">x</a>'


def test_async_jinja_environments():
    sx = sexp.Env()
    sx.eval(COMPONENTS)
    jj = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True,
                            enable_async=True)
    sexp.jinja.install(jj, sx)
    # The primitive renders synchronously (an overlay), also under a running loop.
    assert sx.render_html('(jinja "hello.html" :who "<a>")') == "<b>&lt;a&gt;</b>"

    async def in_a_loop():
        page = await jj.from_string("{{ sexp('~wrap', x=x) }}").render_async(x="<1>")
        return page, sx.render_html('(jinja "hello.html" :who "b")')
    assert asyncio.run(in_a_loop()) == ("<section><i>&lt;1&gt;</i></section>", "<b>b</b>")
    jj.globals["site"] = "S"  # globals are shared with the overlay
    jj.loader.mapping["site.html"] = "{{ site }}"
    assert sx.render_html('(jinja "site.html")') == "S"


def test_quart_app_jinja_env():
    sx = sexp.Env()
    sx.eval(COMPONENTS)
    app = quart.Quart(__name__)
    app.jinja_env.loader = jinja2.DictLoader(TEMPLATES)
    sexp.jinja.install(app.jinja_env, sx)

    @app.get("/")
    async def index():
        top = await quart.render_template_string("<p>{{ sexp('~card', title=t) }}</p>", t="<t>")
        return top + sx.render_html('(div (jinja "hello.html" :who "<w>"))')

    async def get():
        response = await app.test_client().get("/")
        return await response.get_data(as_text=True)
    assert asyncio.run(get()) == ('<p><article id="post-" title="&lt;t&gt;"><h2>&lt;t&gt;</h2>'
                                  '</article></p><div><b>&lt;w&gt;</b></div>')


def test_install_checks_its_arguments():
    sx = sexp.Env()
    with pytest.raises(TypeError):
        sexp.jinja.install(sx, jinja2.Environment())
    jj = jinja2.Environment(autoescape=True)
    sexp.jinja.install(jj, sx, global_name="sx", primitive_name="tpl")
    assert "sx" in jj.globals and "sexp" not in jj.globals
    with pytest.raises(sexp.EvalError):
        sx.eval('(jinja "x")')  # not bound under its default name
