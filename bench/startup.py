"""Cold start: `smtpdoctor --version` and `--help` against bare Python importing smtplib and ssl.

    python bench/startup.py
"""

import sys

from common import median_ms, smtpdoctor_cmd

if __name__ == "__main__":
    base = median_ms([sys.executable, "-c", "import smtplib, ssl"], runs=30)
    version = median_ms([*smtpdoctor_cmd(), "--version"], runs=30)
    helptext = median_ms([*smtpdoctor_cmd(), "--help"], runs=30)
    print(f"python -c 'import smtplib, ssl'  {base:7.1f} ms")
    print(f"smtpdoctor --version             {version:7.1f} ms   (target < 150 ms)")
    print(f"smtpdoctor --help                {helptext:7.1f} ms   (target < 150 ms)")
