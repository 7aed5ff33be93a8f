import { endpoint, receive, respond } from "@mit-sdg/sync-engine/boundary";
import { concepts } from "../concepts.ts";

const { Noting, Sessioning } = concepts;

const AddNote = endpoint("/notes/add", ({ session, sessionId, text, user, note }) =>
  receive({ session, text })
    .where(Sessioning._getUser({ session: sessionId }).is({ user }))
    .then(Noting.add({ author: user, text }).responds({ note }))
    .then(respond({ note })),
);

export const composition = { Writing: { AddNote } };
