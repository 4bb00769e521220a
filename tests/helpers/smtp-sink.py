"""A real SMTP server for tests (Debian's python3-aiosmtpd): each message it accepts is written to
DIR as one JSON file (envelope sender, recipients, the raw message). --fail N answers the first N
messages with a temporary refusal (451) at DATA, as a relay that is down for a while does, and
leaves an empty N.refused file for each. It
prints "listening PORT" once it listens (PORT 0 asks the system for a free one)."""
import argparse, asyncio, json, os, sys
from aiosmtpd.smtp import SMTP

class Sink:
    def __init__(self, folder, fail):
        self.folder, self.fail, self.n = folder, fail, 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail > 0:
            self.fail -= 1
            open(os.path.join(self.folder, f'{self.fail}.refused'), 'w').close()
            return '451 4.3.0 Try again later'
        self.n += 1
        record = {'from': envelope.mail_from, 'to': envelope.rcpt_tos, 'data': envelope.original_content.decode('utf-8', 'replace')}
        tmp = os.path.join(self.folder, f'.{self.n}.tmp')
        with open(tmp, 'w') as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.folder, f'{self.n}.json'))
        return '250 OK'

async def main():
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=0)
    p.add_argument('--dir', required=True)
    p.add_argument('--fail', type=int, default=0)
    a = p.parse_args()
    sink = Sink(a.dir, a.fail)
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(sink, hostname='sink.test'), a.host, a.port)
    print('listening', server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
