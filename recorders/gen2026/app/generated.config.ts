import { httpWire } from "@mit-sdg/sync-engine-http/tooling";
import { assembleJotter } from "./src/assembly.ts";
import { jotterPolicy } from "./src/http.ts";

export default {
  assemble: assembleJotter,
  title: "Jotter",
  wireName: "JotterWire",
  design: {
    version: 1,
    documents: [
      new URL("./design/types.md", import.meta.url),
      new URL("./design/compositions/Access.md", import.meta.url),
      new URL("./design/compositions/Notes.md", import.meta.url),
    ],
  },
  projections: [httpWire({ policy: jotterPolicy("http://localhost:3000"), name: "JotterWireHttp" })],
};
