package chat

// Code is the machine-readable kind of a refusal or a notice: a JSON
// notice carries it as "code", and a close reason starts with it, then a
// colon and the words for a person ("name-taken: name \"bob\" is taken:
// choose another"). Programs react to codes; the words may change.
type Code string

// The codes of refusals: the connection is closed with 1008 and a reason
// that starts with one of these.
const (
	CodeBadName      Code = "bad-name"        // the name breaks the naming rules, or is missing
	CodeNameTaken    Code = "name-taken"      // someone else has the name, or one that looks the same
	CodeBadRequest   Code = "bad-request"     // a malformed room, format or since
	CodeAuthRequired Code = "auth-required"   // no token, or one that is no good
	CodeTokenExpired Code = "token-expired"   // the token ran out, at the handshake or later
	CodeRoomLimit    Code = "room-limit"      // no more rooms may be opened: on the server, or by this participant
	CodeUnavailable  Code = "unavailable"     // the chat cannot reach the other nodes (Redis)
	CodeTooFast      Code = "too-fast"        // closed for sending over the rate, again and again
	CodeNotInRoom    Code = "not-in-room"     // an upload to a room the uploader is not in
	CodeNotRecovered Code = "not-recovered"   // notice: messages since the client's id are gone
	CodeSlowDown     Code = "slow-down"       // notice: a message over the rate was not sent
	CodeNotStored    Code = "not-stored"      // notice: a message could not be kept, and went to nobody
	CodeUsage        Code = "usage"           // notice: a command used wrongly
	CodeUnknown      Code = "unknown-command" // notice: no such command
	CodeSameRoom     Code = "same-room"       // notice: /join to the room one is in
	CodeNotOnline    Code = "not-online"      // notice: a private message to nobody
	CodeMailKept     Code = "mail-kept"       // notice: a private message kept for an account that is offline
	CodeNoMailbox    Code = "no-mailbox"      // notice: a private message to an account with no mailbox: nothing was kept
	CodeHistoryShare Code = "history-share"   // notice: the sender's messages kept in history reached its share: not sent
	CodeHistoryFull  Code = "history-full"    // notice: history holds all the server keeps: not sent
	CodeMailShare    Code = "mail-share"      // notice: the sender's mail reached its share, in all or in one mailbox: not kept
	CodeMailFull     Code = "mail-full"       // notice: the mail holds all the server keeps: not kept
	CodeTokenRenewed Code = "token-renewed"   // notice: /token took the new token
	CodeTokenRefused Code = "token-refused"   // notice: /token did not
	CodeHelp         Code = "help"            // notice: the answer to /help

	CodeNoMessage        Code = "no-such-message"    // an action on, or a reply to, a message the room does not keep (or deleted)
	CodeNotYours         Code = "not-yours"          // an edit or deletion of someone else's message
	CodeNotEditable      Code = "not-editable"       // an edit of a shared file's message
	CodeBadEmoji         Code = "bad-emoji"          // a reaction that is not one emoji
	CodeTooManyReactions Code = "too-many-reactions" // a new kind of reaction on a message that has the most
	CodeTooCostly        Code = "too-costly"         // a request that would read more history than one may
	CodeBadSealed        Code = "bad-sealed"         // an encrypted message that does not follow the sealed format
	CodeRoomEncrypted    Code = "room-encrypted"     // a message in clear to a room that is encrypted

	CodeKicked       Code = "kicked"         // closed: an operator took the connection out of its room
	CodeBanned       Code = "banned"         // closed, or a join refused: banned from the room
	CodeInviteOnly   Code = "invite-only"    // a join refused: the room takes only those invited
	CodeMuted        Code = "muted"          // notice: a message from someone muted in the room: not sent
	CodeNotAllowed   Code = "not-allowed"    // notice: a moderation command one's role in the room does not allow, or aimed at whom it may not be
	CodeNoModeration Code = "no-moderation"  // notice: a moderation command on a server without accounts, where rooms have no owners
	CodeOwnedLimit   Code = "owned-limit"    // notice: one owns the most rooms one may: the room opened has no owner
	CodeListFull     Code = "list-full"      // notice: a room's bans, mutes, operators or invitations are as many as it may keep
	CodeReportLimit  Code = "report-limit"   // notice: a report past the reporter's rate or count: not kept
	CodeBusy         Code = "busy"           // notice: the room's record changed under several moderators at once: try again
	CodeTopic        Code = "topic"          // notice: the answer to /topic without words
	CodeReported     Code = "reported"       // notice: a report was kept and passed on
	CodeModeration   Code = "moderation"     // notice: the answer to a moderation command that changes nothing the room hears of
	CodeNoSuchPerson Code = "no-such-person" // notice: /unban, /unmute or /deop of someone who is not
)

// Reason is a close reason: the code, then the words.
func Reason(c Code, words string) string { return string(c) + ": " + words }

// Refusal is why the chat turned a connection away, or closes it: the
// transport closes with 1008 and Reason(Code, Text).
type Refusal struct {
	Code Code
	Text string
}

func (r *Refusal) Error() string { return Reason(r.Code, r.Text) }

func refuse(c Code, text string) *Refusal { return &Refusal{Code: c, Text: text} }
