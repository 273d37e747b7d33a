import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// Python's smtplib (Debian's python3, a client nobody here wrote) speaks IPv6, which
// Debian's swaks does without only when IO::Socket::INET6 is installed.
const SCRIPT = `
import smtplib, sys, json
host, port, user, password, sender, rcpt = sys.argv[1:7]
msg = "From: <%s>\\r\\nTo: <%s>\\r\\nSubject: over %s\\r\\n\\r\\nhello\\r\\n" % (sender, rcpt, host)
with smtplib.SMTP(host, int(port), timeout=20) as s:
    s.ehlo("python.test")
    s.login(user, password)
    s.sendmail(sender, [rcpt], msg)
    peer = s.sock.getpeername()[0]
print(json.dumps({"peer": peer}))
`;

/**
 * Logs in to the relay at host:port with smtplib and sends one message; resolves with
 * the address it reached, rejects with Python's error (the relay's reply) otherwise.
 */
export async function pythonSend(
  host: string,
  relay: { port: number; username: string; password: string },
  from: string,
  to: string,
): Promise<{ peer: string }> {
  const { stdout } = await run('/usr/bin/python3', [
    '-c',
    SCRIPT,
    host,
    String(relay.port),
    relay.username,
    relay.password,
    from,
    to,
  ]);
  return JSON.parse(stdout);
}
