import { collection } from "../db.ts";

type SessionDoc = { _id: string; user: string; expiresAt: Date };

const DAY_MS = 24 * 60 * 60 * 1000;

export class SessioningConcept {
  private readonly sessions = collection<SessionDoc>("sessioning.sessions");

  async start({ user }: { user: string }) {
    const session = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + DAY_MS);
    await this.sessions.insertOne({ _id: session, user, expiresAt });
    return { session, expiresAt };
  }

  async _getUser({ session }: { session: string }): Promise<Array<{ user: string }>> {
    const active = await this.sessions.find({ expiresAt: { $gt: new Date() } });
    return active.map((found) => ({ user: found.user }));
  }
}
