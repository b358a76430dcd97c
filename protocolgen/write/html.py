def render_html(markdown, meta): raise NotImplementedError
