import { conceptSet, registerConcept } from "@mit-sdg/sync-engine/assembly";
import authenticatingSpec from "@design/concepts/Authenticating.md" with { type: "text" };
import notingSpec from "@design/concepts/Noting.md" with { type: "text" };
import sessioningSpec from "@design/concepts/Sessioning.md" with { type: "text" };
import {
  AuthenticatingConcept,
  InvalidCredentials,
  UsernameTaken,
  WeakPassword,
} from "./concepts/Authenticating.ts";
import { EmptyNote, NotingConcept } from "./concepts/Noting.ts";
import { SessioningConcept } from "./concepts/Sessioning.ts";

export const applicationConceptSet = conceptSet({
  Authenticating: registerConcept({
    class: AuthenticatingConcept,
    spec: authenticatingSpec,
    refusals: {
      WEAK_PASSWORD: WeakPassword,
      USERNAME_TAKEN: UsernameTaken,
      INVALID_CREDENTIALS: InvalidCredentials,
    },
  }),
  Sessioning: registerConcept({ class: SessioningConcept, spec: sessioningSpec }),
  Noting: registerConcept({
    class: NotingConcept,
    spec: notingSpec,
    refusals: { EMPTY_NOTE: EmptyNote },
  }),
});

export const { concepts } = applicationConceptSet;
