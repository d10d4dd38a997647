"""Write a realistic application log where about 0.1 % of lines are SMTP errors.

    python bench/make_log.py OUT.log --mb 200

Lines mix Render/Heroku/Docker/JSON-lines prefixes, HTTP access lines, stack traces and the seed
application's own Russian messages, so the scan sees the shapes it meets in real logs.
"""

from __future__ import annotations

import argparse
import random

NOISE = [
    '{ts} INFO  GET /api/messages?room={n} 200 {ms}ms - Mozilla/5.0 (X11; Linux x86_64)',
    '{ts} INFO  POST /api/auth/login 200 {ms}ms user_id={n}',
    '{ts} DEBUG cache hit key=session:{n} ttl=3600',
    'app_1  | {ts} info: socket connected id={n} transport=websocket',
    '{{"level":"info","time":"{ts}","msg":"request completed","status":200,"duration_ms":{ms},"path":"/api/rooms/{n}"}}',
    '{ts} app[web.1]: at=info method=GET path="/health" host=chat.example.com request_id={n} status=200 bytes=12',
    '{ts} WARN  slow query took {ms}ms: SELECT * FROM messages WHERE room_id = {n} ORDER BY created_at DESC LIMIT 50',
    '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
    '{ts} INFO  worker {n} finished job in {ms} ms',
]

SUCCESS = [
    '{ts} INFO  Отправка кода подтверждения на email user{n}@example.com...',
    '{ts} INFO  Email успешно отправлен: <{n}.abc@example.com>',
]

ERRORS = [
    '{ts} ERROR SMTP соединение не удалось: Error: Invalid login: 535-5.7.8 Username and Password not accepted. For more information, go to 535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a05 - gsmtp',
    '{ts} ERROR Error: Greeting never received',
    "{ts} ERROR Error: connect ECONNREFUSED 10.0.0.{n}:587",
    '{ts} ERROR smtplib.SMTPAuthenticationError: (534, b\'5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp\')',
    '{ts} ERROR Error: 140735:error:1408F10B:SSL routines:ssl3_get_record:wrong version number',
    '{ts} ERROR 550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
    '{ts} ERROR SMTP не настроен: SMTP_USER или SMTP_PASS отсутствуют',
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--error-rate", type=float, default=0.001)
    args = parser.parse_args()
    rng = random.Random(7)
    target = int(args.mb * 1024 * 1024)
    written = errors = lines = 0
    with open(args.out, "w", encoding="utf-8") as out:
        while written < target:
            block = []
            for _ in range(1000):
                roll = rng.random()
                if roll < args.error_rate:
                    template = rng.choice(ERRORS)
                elif roll < args.error_rate * 5:  # a successful send now and then, as in the seed app
                    template = rng.choice(SUCCESS)
                else:
                    template = rng.choice(NOISE)
                errors += template in ERRORS
                block.append(template.format(ts=f"2025-10-0{rng.randint(1, 9)}T1{rng.randint(0, 9)}:0{rng.randint(0, 9)}:12.{rng.randint(100, 999)}Z",
                                             n=rng.randint(1, 99999), ms=rng.randint(1, 900)))
            text = "\n".join(block) + "\n"
            out.write(text)
            written += len(text.encode())
            lines += len(block)
    print(f"wrote {written / 1048576:.0f} MiB, {lines} lines, {errors} SMTP error lines")


if __name__ == "__main__":
    main()
