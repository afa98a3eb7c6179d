// Small shared pieces: status badges, field errors wired to their inputs, loading states.

import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState, useCallback } from "preact/hooks";
import { ApiError, type FieldError } from "./api";
import { lang, t, tk } from "./i18n";

export function StatusBadge({ status, awaitingMeta = false }: { status: string; awaitingMeta?: boolean }) {
  if (status === "pending" && awaitingMeta) return <span class="badge badge-pending">{t("status.awaiting_meta")}</span>;
  return <span class={`badge badge-${status}`}>{tk(`status.${status}`, { fallback: status })}</span>;
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{tk(`state.${state}`, { fallback: state })}</span>;
}

/** The id of the input that edits a field path (`messages.pt.whatsapp.buttons[1].title`). */
export function fieldId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function errorId(path: string): string {
  return `${fieldId(path)}-error`;
}

export function errorText(e: FieldError): string {
  if (e.code === "required" && !e.message) return t("wizard.required");
  if (lang() !== "en") {
    const translated = tk(`err.${e.code}`, { fallback: "" });
    if (translated) return translated;
  }
  return e.message || tk(`err.${e.code}`, { fallback: e.code });
}

export interface ErrorState {
  errors: FieldError[];
}

export const ErrorsContext = createContext<ErrorState>({ errors: [] });

/** Errors for exactly this path (or, with `prefix`, for this path and everything under it). */
export function useFieldErrors(path: string, prefix = false): FieldError[] {
  const { errors } = useContext(ErrorsContext);
  return errors.filter((e) => e.field === path || (prefix && (e.field.startsWith(`${path}.`) || e.field.startsWith(`${path}[`))));
}

/** aria attributes of an input that edits `path`, with its hint ids. */
export function useFieldAria(path: string, ...describedBy: (string | null | undefined | false)[]) {
  const errors = useFieldErrors(path);
  const ids = [...describedBy.filter(Boolean), errors.length ? errorId(path) : null].filter(Boolean).join(" ");
  return {
    id: fieldId(path),
    "data-field": path,
    "aria-invalid": errors.length ? ("true" as const) : undefined,
    "aria-describedby": ids || undefined,
  };
}

export function FieldErrors({ path, prefix = false }: { path: string; prefix?: boolean }) {
  const errors = useFieldErrors(path, prefix);
  if (!errors.length) return null;
  return (
    <div id={errorId(path)} class="field-error" data-error-for={path}>
      {errors.map((e) => (
        <p key={`${e.field}:${e.code}`}>
          {prefix && e.field !== path ? <code>{e.field.slice(path.length).replace(/^\./, "")}</code> : null} {errorText(e)}
        </p>
      ))}
    </div>
  );
}

/** Focus the element that edits `path`, or the closest enclosing one that exists. */
export function focusField(path: string): boolean {
  let p = path;
  for (;;) {
    const el = document.getElementById(fieldId(p)) ?? document.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(p)}"]`);
    if (el) {
      el.scrollIntoView({ block: "center" });
      (el as HTMLElement).focus({ preventScroll: true });
      return true;
    }
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) return false;
    p = p.slice(0, cut);
  }
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {t("common.loading")}
    </p>
  );
}

export function apiMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t("common.network");
    if (e.status === 403) return `${t("common.forbidden")} (${e.message})`;
    if (e.status === 404) return t("common.not_found");
    if (e.status === 409) return `${t("common.conflict")} (${e.message})`;
    return e.message;
  }
  return String(e);
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div class="alert alert-error" role="alert">
      <p>{t("common.error", { message: apiMessage(error) })}</p>
      {onRetry ? (
        <button type="button" class="secondary" onClick={onRetry}>
          {t("common.retry")}
        </button>
      ) : null}
    </div>
  );
}

export function Notice({ children, kind = "info" }: { children: ComponentChildren; kind?: "info" | "success" | "warning" }) {
  return (
    <div class={`alert alert-${kind}`} role="status">
      {children}
    </div>
  );
}

export interface Async<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** Move focus to a page's heading when the page (or step) changes, for keyboard and screen-reader users. */
export function useFocusHeading(ref: { current: HTMLElement | null }, deps: unknown[]) {
  useEffect(() => {
    ref.current?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
