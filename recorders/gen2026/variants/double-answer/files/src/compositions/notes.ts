import { endpoint, receive, respond } from "@mit-sdg/sync-engine/boundary";
import { reaction } from "@mit-sdg/sync-engine/language";
import { concepts } from "../concepts.ts";

const { Noting, Sessioning } = concepts;

const AddNote = endpoint("/notes/add", ({ session, text, user, note }) =>
  receive({ session, text })
    .where(Sessioning._getUser({ session }).is({ user }))
    .then(Noting.add({ author: user, text }).responds({ note }))
    .then(respond({ note })),
);

/** Tell the page at once that the note arrived. */
export const AcknowledgeNote = reaction(({ text }) =>
  receive({ text }).then(respond({ saved: true })),
);

export const composition = { Writing: { AddNote }, AcknowledgeNote };
