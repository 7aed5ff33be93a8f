import { httpPolicy, type HttpPolicy } from "@mit-sdg/sync-engine-http/policy";

export function jotterPolicy(publicOrigin: string): HttpPolicy {
  return httpPolicy({
    publicOrigin,
    basePath: "/api",
    publicErrors: {
      WEAK_PASSWORD: "INVALID_REQUEST",
      USERNAME_TAKEN: "CONFLICT",
      EMPTY_NOTE: "INVALID_REQUEST",
      UNAUTHORIZED: "UNAUTHORIZED",
    },
    cookies: {
      session: {
        name: "jotter-session",
        input: "session",
        issue: [
          { path: "/auth/register", value: "session", expires: "expiresAt" },
          { path: "/auth/login", value: "session", expires: "expiresAt" },
        ],
        clear: [],
      },
    },
  });
}
