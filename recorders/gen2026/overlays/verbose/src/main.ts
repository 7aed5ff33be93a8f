import { createGateway } from "@mit-sdg/sync-engine/boundary";
import { createHttpHandler } from "@mit-sdg/sync-engine-http/handler";
import { assembleJotter, observe } from "./assembly.ts";
import { dumpCollections } from "./db.ts";
import { jotterPolicy } from "./http.ts";

const port = Number(process.env.PORT ?? 3000);
const publicOrigin = process.env.PUBLIC_ORIGIN ?? `http://localhost:${port}`;

const application = assembleJotter();
const gateway = createGateway({ application, observers: [observe] });
const handler = createHttpHandler({ application, gateway, policy: jotterPolicy(publicOrigin) });

const server = Bun.serve({
  hostname: "0.0.0.0",
  port,
  fetch(request) {
    return handler(request);
  },
});
console.log(`Backend listening on http://127.0.0.1:${server.port}/`);

// Recording aid: on SIGTERM write the collections where COLLECTIONS_DIR says, then stop.
process.on("SIGTERM", async () => {
  if (process.env.COLLECTIONS_DIR) await dumpCollections(process.env.COLLECTIONS_DIR);
  server.stop(true);
  process.exit(0);
});
