// The events of a ChatClient, handed to the app's handlers by type.

/** Emitter calls each handler of an event's type with it; a handler that throws does not stop the others. */
export class Emitter {
  #handlers = new Map(); // type → Set of handlers

  /** on calls fn with every event of type; it returns a function that stops it. */
  on(type, fn) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(fn);
    return () => this.#handlers.get(type)?.delete(fn);
  }

  /** emit hands ev to the handlers of type; what one throws is thrown again apart, in a microtask. */
  emit(type, ev) {
    for (const fn of this.#handlers.get(type) ?? []) {
      try {
        fn(ev);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
