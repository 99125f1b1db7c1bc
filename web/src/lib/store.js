// A value that components can watch: the state shared between pages (the
// audit running now, the token prompt), kept outside any one component so a
// page change does not lose it.
import { useEffect, useState } from 'preact/hooks';

export function createStore(initial) {
  let state = initial;
  const watchers = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const w of watchers) w(state);
    },
    watch(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
  };
}

export function useStore(store) {
  const [state, setState] = useState(store.get());
  useEffect(() => {
    setState(store.get());
    return store.watch(setState);
  }, [store]);
  return state;
}
