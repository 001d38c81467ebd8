// Leaving a screen with unsaved work asks first: the browser's own prompt when the window closes or
// reloads (beforeunload), and a confirmation when a link inside the app changes the route. A screen
// with unsaved work raises the guard with useLeaveGuard; the router asks confirmLeave before moving.

import { useEffect } from 'react';

let guardMessage: string | null = null;

/** True when the route may change: nothing unsaved, or the person agreed to leave it behind. */
export function confirmLeave(): boolean {
  return guardMessage === null || window.confirm(guardMessage);
}

export function useLeaveGuard(active: boolean, message: string): void {
  useEffect(() => {
    if (!active) return;
    guardMessage = message;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older Chromium builds show the prompt only when returnValue is set.
      e.returnValue = message;
      return message;
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      if (guardMessage === message) guardMessage = null;
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [active, message]);
}
