// Runs in the browser, after GraphiQL's bundle (src/http/pages.ts serves it with `PLAYGROUND` prepended:
// { endpoint, workers, options }). Plain JavaScript: it is served as it is written.
(function () {
  'use strict';
  var PLAYGROUND = self.PLAYGROUND;

  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return PLAYGROUND.workers[label];
    },
  };

  /** Whether `query` declares an operation called `name` (comments aside). */
  function declares(query, name) {
    var code = query.replace(/#[^\n\r]*/g, '');
    return new RegExp('(^|[^_0-9A-Za-z])(query|mutation|subscription)\\s+' + name + '(?![_0-9A-Za-z])').test(code);
  }

  /** The events of a text/event-stream answer (a live query or a subscription), one result each. */
  async function* events(response, controller) {
    var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = '';
    try {
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) return;
        buffer += chunk.value.replace(/\r\n/g, '\n');
        var end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event:\s*complete\s*$/m.test(block)) return;
          var data = block
            .split('\n')
            .filter(function (line) { return line.startsWith('data:'); })
            .map(function (line) { return line.slice(5).trim(); })
            .join('\n');
          if (data) yield JSON.parse(data);
        }
      }
    } finally {
      controller.abort();
    }
  }

  /**
   * GraphiQL reads the editor when a query runs but learns its operation name 100 ms after the last
   * edit: a query pasted and run at once (Ctrl+Enter) came with the previous example's name and
   * failed ("Cannot infer operation …"). A name the document does not declare is dropped, so the
   * server picks the document's one operation (or asks for a name when there are several).
   */
  async function fetcher(params, options) {
    var body = { query: params.query, variables: params.variables || undefined, extensions: params.extensions || undefined };
    if (params.operationName && declares(params.query, params.operationName)) body.operationName = params.operationName;
    var controller = new AbortController();
    var response = await fetch(PLAYGROUND.endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      signal: controller.signal,
      headers: Object.assign(
        { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json, text/event-stream' },
        (options && options.headers) || {},
      ),
      body: JSON.stringify(body),
    });
    if ((response.headers.get('content-type') || '').startsWith('text/event-stream')) return events(response, controller);
    var text = await response.text();
    try {
      return JSON.parse(text);
    } catch (_error) {
      return { errors: [{ message: 'HTTP ' + response.status + ': ' + text.slice(0, 500) }] };
    }
  }

  /**
   * GraphiQL opens the stored tab whose text is the address's `?query=`, and adds a tab when none
   * is: opened again without it (a bookmark, a link), the page gained an empty "<untitled>" tab
   * each time. Without `?query=`, the tab that was active is asked for instead.
   */
  function lastActiveTab() {
    if (new URL(location.href).searchParams.has('query')) return {};
    try {
      var state = JSON.parse(localStorage.getItem('graphiql:tabState') || 'null');
      var tab = state && state.tabs && state.tabs[state.activeTabIndex];
      return tab && tab.query ? { query: tab.query, variables: tab.variables || undefined } : {};
    } catch (_error) {
      return {};
    }
  }

  YogaGraphiQL.renderYogaGraphiQL(
    document.querySelector('#root'),
    Object.assign({}, PLAYGROUND.options, lastActiveTab(), { fetcher: fetcher }),
  );
})();
