/**
 * The database. Course apps use the `mongodb` driver against a MongoDB server;
 * no server can be installed offline here, so this app uses `mongo-mock` (from
 * the npm registry), which offers the same `MongoClient`/`collection` calls in
 * memory. `dumpCollections` writes each collection as `mongoexport --jsonArray`
 * would, so the kit can read them after a run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mongo from "mongo-mock";

mongo.max_delay = 0;

const url = process.env.MONGODB_URL;
if (url === undefined) throw new Error("MONGODB_URL is not set. Add it to your .env file.");

// Connect on first use, as the driver does: a connection opened while `sync-engine check`
// imports the concepts would keep that command from ever exiting.
let opened: Promise<any> | undefined;
function database(): Promise<any> {
  opened ??= mongo.MongoClient.connect(url as string, {}).then((client: any) => client.db());
  return opened;
}

const names = new Set<string>();

/** A named collection, remembered for `dumpCollections`. */
export function collection<T>(name: string) {
  names.add(name);
  const use = async () => (await database()).collection(name);
  return {
    insertOne: async (doc: T) => (await use()).insertOne(doc),
    findOne: async (filter: Record<string, unknown>): Promise<T | null> =>
      (await use()).findOne(filter),
    find: async (filter: Record<string, unknown>): Promise<T[]> =>
      (await use()).find(filter).toArray(),
  };
}

function extended(value: unknown): unknown {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(extended);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, extended(v)]));
  }
  return value;
}

export async function dumpCollections(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const db = await database();
  for (const name of names) {
    const docs = await db.collection(name).find({}).toArray();
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(docs.map(extended), null, 1));
  }
}
