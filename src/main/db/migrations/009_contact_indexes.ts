// Indexes for the contacts page (src/main/contacts/contact-plan.ts):
//
// - Text search finds contacts whose address, first name or last name starts with the
//   typed words: address_key has its UNIQUE index, last_name its (last_name, first_name)
//   index from 008; first names get theirs here. NOCASE, as people type names.
// - A list filtered by status (and the lists' counts) reads (list_id, status, contact_id)
//   in id order, so the newest members with that status come first without a sort.
export const sql = `
CREATE INDEX contacts_first_name ON contacts (first_name COLLATE NOCASE);
CREATE INDEX list_members_status ON list_members (list_id, status);
`;
