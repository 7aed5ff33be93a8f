import { createHash } from "node:crypto";
import { collection } from "../db.ts";

export class WeakPassword extends Error {}
export class UsernameTaken extends Error {}
export class InvalidCredentials extends Error {}

type UserDoc = { _id: string; username: string; passwordHash: string };

function hash(password: string, salt: string): string {
  return createHash("sha256").update(`${salt}:${password}`).digest("hex");
}

export class AuthenticatingConcept {
  private readonly users = collection<UserDoc>("authenticating.users");

  async register({ username, password }: { username: string; password: string }) {
    if (password.length < 8) throw new WeakPassword("A password needs at least 8 characters.");
    if (await this.users.findOne({ username })) {
      throw new UsernameTaken("That username is already registered.");
    }
    const user = crypto.randomUUID();
    await this.users.insertOne({ _id: user, username, passwordHash: hash(password, user) });
    return { user };
  }

  async authenticate({ username, password }: { username: string; password: string }) {
    const found = await this.users.findOne({ username });
    if (found === null || found.passwordHash !== hash(password, found._id)) {
      return { error: "The username or password is incorrect." };
    }
    return { user: found._id };
  }

  async _byUsername({ username }: { username: string }): Promise<Array<{ user: string }>> {
    const found = await this.users.findOne({ username });
    return found === null ? [] : [{ user: found._id }];
  }
}
