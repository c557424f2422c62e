"""rtimer: a countdown timer on rel, and the CLI behind the ``rtimer`` script.

    rtimer [seconds] [minutes] [hours] [update_increment]

Arguments default to 0: "rtimer 15 30 2 60" runs 2 h 30 min 15 s and prints
progress every 60 s; "rtimer 0 5" runs 5 minutes silently. The flags -s, -m,
-r and -i give seconds, minutes, hours and increment too, and when any of them
is used the increment defaults to 1. When time is up a random file from the
media directory (-p, default ~/.rtimer) is played if mplayer is installed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
from typing import List, Optional

from . import rel

RT_MEDIA = os.path.join(os.path.expanduser("~"), ".rtimer")
RT_USAGE = "rtimer [seconds] [minutes] [hours] [update_increment]"


def notice(*lines: str) -> None:
    print("")
    print("\n".join(lines), flush=True)


def exit() -> None:
    """Stop the loop if it runs, else the process."""
    notice("goodbye")
    if rel.is_running():
        rel.abort()
    else:
        sys.exit()


class Timer:
    def __init__(self, s: int, m: int, h: int, interval: int = 0, mediapath: Optional[str] = RT_MEDIA) -> None:
        self.count = 0
        self.interval = int(interval)
        self.goal = int(s) + int(m) * 60 + int(h) * 3600
        if self.goal <= 0:
            notice(f"usage: {RT_USAGE}", "(nothing to count down: all durations are 0)")
            sys.exit(2)
        self.media = mediapath
        if not mediapath:
            problem = "no media directory given"
        elif shutil.which("mplayer") is None:
            problem = "mplayer is not installed"
        elif not os.path.isdir(mediapath):
            problem = f"no media directory at {mediapath}"
        else:
            problem = ""
        if problem:
            self.media = None
            notice(f"sound disabled: {problem}")

    def start(self) -> None:
        self.count = 0
        notice(f"counting down {self.goal} seconds")
        rel.timeout(1, self.update)
        rel.signal(2, self.stop)
        rel.dispatch()

    def stop(self) -> None:
        notice(f"timer stopped at {self.count} of {self.goal} seconds")
        exit()

    def update(self) -> bool:
        self.count += 1
        if self.interval and not self.count % self.interval:
            minutes, seconds = divmod(self.count, 60)
            notice(f"{minutes}:{seconds:02d} elapsed, {self.count}/{self.goal} "
                   f"({100.0 * self.count / self.goal:.1f}%)")
        if self.count >= self.goal:
            self.alarm()
            return False
        return True

    def alarm(self) -> None:
        notice("time's up!")
        if self.media:
            files = os.listdir(self.media)
            if files:
                subprocess.call(["mplayer", os.path.join(self.media, random.choice(files))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.stop()


def timerCLI(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="rtimer", usage=RT_USAGE, description=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("values", nargs="*", type=int, metavar="N",
                        help="seconds, minutes, hours, update increment (default 0 each)")
    parser.add_argument("-s", "--seconds", type=int, help="seconds")
    parser.add_argument("-m", "--minutes", type=int, help="minutes")
    parser.add_argument("-r", "--hours", type=int, help="hours")
    parser.add_argument("-i", "--increment", type=int, help="print progress every N seconds")
    parser.add_argument("-p", "--path", default=RT_MEDIA, help=f"alarm media directory (default {RT_MEDIA})")
    parser.add_argument("-v", "--verbose", action="store_true", help="log rel's events")
    opts = parser.parse_args(argv)
    if len(opts.values) > 4:
        parser.error("at most 4 numbers")
    values = opts.values + [0] * (4 - len(opts.values))
    flags = [opts.seconds, opts.minutes, opts.hours, opts.increment]
    if any(f is not None for f in flags):
        flags[3] = 1 if flags[3] is None else flags[3]
        values = [v or (f or 0) for v, f in zip(values, flags)]
    if opts.verbose:
        rel.initialize(options=["verbose"])
    seconds, minutes, hours, increment = values
    Timer(seconds, minutes, hours, increment, mediapath=opts.path).start()


if __name__ == "__main__":
    timerCLI()
