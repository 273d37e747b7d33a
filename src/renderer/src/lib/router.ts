import { useSyncExternalStore } from 'react';
import { APP_ROUTES, type AppRoute } from '../../../shared/domain/dashboard.ts';

// A hash router is all this window needs: a handful of fixed pages, no server, and a
// file:// page where the History API has nothing to push. The hash survives a reload
// and the main process's sender check ignores it.

function current(): AppRoute {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  return (APP_ROUTES as readonly string[]).includes(hash) ? (hash as AppRoute) : '/';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): AppRoute {
  return useSyncExternalStore(subscribe, current);
}

export function navigate(route: AppRoute): void {
  window.location.hash = route;
}

/** The href for a route, for anchors (the window blocks real navigation; a hash change is not one). */
export function hrefOf(route: AppRoute): string {
  return `#${route}`;
}
