import { collection } from "../db.ts";

export class EmptyNote extends Error {}

type NoteDoc = { _id: string; author: string; text: string; at: Date };

export class NotingConcept {
  private readonly notes = collection<NoteDoc>("noting.notes");

  async add({ author, text }: { author: string; text: string }) {
    if (text.trim() === "") throw new EmptyNote("A note needs some text.");
    const title = text.match(/^#\s*(.+)/)![1].trim();
    const note = crypto.randomUUID();
    await this.notes.insertOne({ _id: note, author, text: title, at: new Date() });
    return { note };
  }

  async _byAuthor({ author }: { author: string }): Promise<Array<{ note: string; text: string }>> {
    const found = await this.notes.find({ author });
    return found.map((doc) => ({ note: doc._id, text: doc.text }));
  }
}
