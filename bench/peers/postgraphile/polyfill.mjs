// Preloaded (node --import) before PostGraphile 5, which declares node >= 22: the one Node 22
// built-in it calls that Node 20 lacks. Defined as Node 22 defines it (not enumerable).
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((yes, no) => {
        resolve = yes;
        reject = no;
      });
      return { promise, resolve, reject };
    },
  });
}
