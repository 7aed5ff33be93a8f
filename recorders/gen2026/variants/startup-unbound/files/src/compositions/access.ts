import { endpoint, receive, respond } from "@mit-sdg/sync-engine/boundary";
import { no, reaction, where } from "@mit-sdg/sync-engine/language";
import { concepts } from "../concepts.ts";

const { Authenticating, Sessioning } = concepts;

const Register = endpoint("/auth/register", ({ username, password, user, session, expiresAt }) =>
  receive({ username, password })
    .then(Authenticating.register({ username, password }).responds({ user }))
    .then(
      Sessioning.start({ user }).responds({ session, expiresAt }).named("start"),
      respond({ user, session, expiresAt }).named("answer"),
    ),
);

const Login = endpoint("/auth/login", ({ username, password, user, session, expiresAt }) =>
  receive({ username, password })
    .then(Authenticating.authenticate({ username, password }).responds({ user }))
    .then(Sessioning.start({ user }).responds({ session, expiresAt }))
    .then(respond({ user, session, expiresAt })),
);

/** Any request carrying a session nobody holds is answered UNAUTHORIZED. */
export const InvalidSessionIsRejected = reaction(({ session }) =>
  receive({ session })
    .where(no(Sessioning._getUser({ session })))
    .then(respond({ error: "UNAUTHORIZED" })),
);

export const composition = {
  Entering: { Register, Login },
  InvalidSessionIsRejected,
};
