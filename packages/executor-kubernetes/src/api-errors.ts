/**
 * Short messages for failed API calls. The client's `ApiException` carries the HTTP code and the
 * response body, a `metav1.Status` whose `message` says what was wrong
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/); its own
 * message also repeats the headers, which a job log does not need.
 */
import { ApiException } from "@kubernetes/client-node";

/** The HTTP status of a failed call, when the server answered. */
export function apiStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    let message: string | undefined;
    if (typeof body === "string") {
      try {
        message = (JSON.parse(body) as { message?: string }).message;
      } catch {
        message = body.trim().slice(0, 300) || undefined;
      }
    } else if (body && typeof body === "object" && "message" in body) {
      message = String((body as { message: unknown }).message);
    }
    return `HTTP ${error.code}${message ? `: ${message}` : ""}`;
  }
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
