"""Spoken calls (issue 16, docs/voice.md): every language made and audible, the English heard by an
offline recognizer, a venue's recorded clips stitched in order, the cache's bounds, and the call's
audio endpoint: only current calls, JSON errors, floods, and a worker that keeps answering."""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import threading
import wave
from pathlib import Path

import pytest
import requests

from qode import create_app, voice

from helpers import ADMIN_TOKEN, NO_CAPS, ServerProcess, admin, wait_until

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                reason="espeak-ng and sox (Debian packages) are needed to make and measure "
                                       "speech")

# A call's announcement lasts between these (seconds): "Ticket A, 42, please go to counter 2".
# Below, something was cut; above, the voice is slow enough to bore a waiting room.
SHORTEST, LONGEST = 1.5, 6.0
SILENT_RMS = 0.01  # sox's RMS amplitude (full scale 1.0) under which we call it silence


def sox_stat(path: Path) -> dict[str, float]:
    """`sox FILE -n stat`'s figures, by name ("Length (seconds)", "RMS     amplitude", ...)."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True).stderr
    figures = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        try:
            figures[re.sub(r"\s+", " ", name.strip())] = float(value.strip())
        except ValueError:
            continue
    return figures


def made(tmp_path: Path, settings: dict | None = None) -> voice.Voice:
    return voice.Voice(tmp_path / "data", {"VOICE_SECOND_LANGUAGE": None, **(settings or {})})


# ---- must-show 1: every language, audible and of the expected length --------------------------

@pytest.mark.parametrize("language", voice.LANGUAGES)
def test_every_language_is_made_audible_and_of_the_expected_length(tmp_path, language):
    v = made(tmp_path)
    _, path = v.announce(voice.Call("A", 42, "2"), language)
    figures = sox_stat(path)
    assert SHORTEST <= figures["Length (seconds)"] <= LONGEST, figures
    assert figures["RMS amplitude"] > SILENT_RMS, figures
    with wave.open(str(path)) as w:  # what a browser plays: PCM WAV, mono 16-bit
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)


def test_a_second_language_follows_the_first(tmp_path):
    one = made(tmp_path / "one")
    two = made(tmp_path / "two", {"VOICE_SECOND_LANGUAGE": "de"})
    call = voice.Call("A", 42, "2")
    first = sox_stat(one.announce(call, "en")[1])["Length (seconds)"]
    both = sox_stat(two.announce(call, "en")[1])["Length (seconds)"]
    german = sox_stat(made(tmp_path / "de").announce(call, "de")[1])["Length (seconds)"]
    assert both == pytest.approx(first + voice.PAUSE_BETWEEN_LANGUAGES + german, abs=0.01)
    assert two.languages("de") == ["de"]  # the same language twice is said once


def test_the_words_spell_the_prefix_and_escape_the_counter():
    text = voice.ssml(voice.Call("AB", 7, "<Desk & 3>"), "en")
    assert '<say-as interpret-as="characters">AB</say-as>' in text
    assert "&lt;Desk &amp; 3&gt;" in text and "<Desk" not in text
    assert "come forward" in voice.ssml(voice.Call("", 7, None), "en")


# ---- must-show 1: an offline recognizer hears the number and the counter -----------------------

GRAMMAR = """#JSGF V1.0;
grammar call;
<digit> = zero | one | two | three | four | five | six | seven | eight | nine;
<teen> = ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen;
<tens> = twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety;
<number> = <digit> | <teen> | <tens> [<digit>];
<letter> = a | b | c | d | e | f | g | h | i | j | k | l | m
         | n | o | p | q | r | s | t | u | v | w | x | y | z;
public <call> = ticket <letter> <number> please go to counter <number>;
"""
WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                    "thirteen "
                                    "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
WORDS.update({w: 10 * i for i, w in enumerate(TENS, 2)})


def as_number(words: list[str]) -> int:
    return sum(WORDS[w] for w in words)


def hear(path: Path, tmp_path: Path) -> str:
    """What pocketsphinx's English model hears in `path` under GRAMMAR (16 kHz mono 16-bit)."""
    pocketsphinx = pytest.importorskip("pocketsphinx", reason="pocketsphinx (PyPI) decodes the English audio")
    model = Path(pocketsphinx.__file__).parent / "model" / "en-us"
    resampled = tmp_path / "16k.wav"
    subprocess.run(["sox", str(path), "-r", "16000", "-c", "1", "-b", "16", str(resampled)], check=True)
    grammar = tmp_path / "call.gram"
    grammar.write_text(GRAMMAR)
    decoder = pocketsphinx.Decoder(hmm=str(model / "en-us"), dict=str(model / "cmudict-en-us.dict"),
                                   jsgf=str(grammar), logfn=os.devnull)
    with wave.open(str(resampled)) as w:
        audio = w.readframes(w.getnframes())
    decoder.start_utt()
    decoder.process_raw(audio, full_utt=True)
    decoder.end_utt()
    return decoder.hyp().hypstr if decoder.hyp() else ""


@pytest.mark.parametrize(("prefix", "number", "counter"), [("A", 42, "2"), ("B", 23, "5")])
def test_the_english_announcement_is_heard_with_its_number_and_counter(tmp_path, prefix, number, counter):
    _, path = made(tmp_path).announce(voice.Call(prefix, number, counter), "en")
    heard = hear(path, tmp_path).split()
    assert heard[0] == "ticket", heard  # then the letter: heard, but not told apart reliably (not asserted)
    at = heard.index("please")
    assert as_number(heard[2:at]) == number, heard
    assert heard[at:at + 4] == ["please", "go", "to", "counter"], heard
    assert as_number(heard[at + 4:]) == int(counter), heard



def test_most_english_announcements_of_a_seeded_sample_are_heard_exactly(tmp_path):
    """Not only the two calls above: 24 calls drawn with a fixed seed (letters A-P, numbers 1-99,
    counters 1-9). The recognizer, not the speech, is the weak part (espeak-ng's "fifteen" heard as
    "fifty", docs/voice.md), and it does not hear the same audio the same way every run (17 to 20 of
    these 24 were right in our runs), so at least half must be heard with the right number and
    counter; an announcement that says a wrong number is heard right almost never (tried: 0 of 24)."""
    import random

    rng = random.Random(16)
    calls = [voice.Call(rng.choice("ABCP"), rng.randint(1, 99), str(rng.randint(1, 9))) for _ in range(24)]
    box = made(tmp_path)
    missed = []
    for call in calls:
        _, path = box.announce(call, "en")
        heard = hear(path, tmp_path).split()
        at = heard.index("please") if "please" in heard else None
        right = (at is not None and as_number(heard[2:at]) == call.number
                 and heard[at:at + 4] == ["please", "go", "to", "counter"]
                 and as_number(heard[at + 4:]) == int(call.counter))
        if not right:
            missed.append((call.display, call.counter, " ".join(heard)))
    assert len(missed) <= len(calls) // 2, missed

# ---- must-show 2: a venue's recorded clips -----------------------------------------------------

CLIPS = ["ticket", "counter", "forward", *map(str, range(10)),
         *(f"letter_{c}" for c in "abcdefghijklmnopqrstuvwxyz")]


def clip_folder(folder: Path, rate: int = 16000) -> dict[str, bytes]:
    """A folder of clips, each a tone of its own pitch and length (sox), so every clip's samples
    differ from every other's; returns each clip's sample data."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {}
    for i, name in enumerate(CLIPS):
        path = folder / f"{name}.wav"
        subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(path), "synth",
                        f"{0.05 + 0.01 * i:.2f}", "sine", str(300 + 40 * i)], check=True)
        with wave.open(str(path)) as w:
            frames[name] = w.readframes(w.getnframes())
    return frames


def test_recorded_clips_are_stitched_in_order_for_a042_counter_2(tmp_path):
    v = made(tmp_path)
    frames = clip_folder(v.clips / "en")
    call = voice.Call("A", 42, "2")
    assert call.display == "A042"
    _, path = v.announce(call, "en")
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        stitched = w.readframes(w.getnframes())
    order = ["ticket", "letter_a", "4", "2", "counter", "2"]
    assert voice.clip_names(call) == order
    assert stitched == b"".join(frames[name] for name in order)
    # and not some other order of the same clips
    assert stitched != b"".join(frames[name] for name in ["ticket", "letter_a", "2", "4", "counter", "2"])


def test_a_missing_clip_is_named_and_espeak_speaks_instead(tmp_path, caplog):
    v = made(tmp_path)
    clip_folder(v.clips / "en")
    (v.clips / "en" / "counter.wav").unlink()
    with pytest.raises(voice.ClipError, match=r"has no counter\.wav"):
        voice.stitch(v.clips / "en", voice.clip_names(voice.Call("A", 42, "2")))
    with caplog.at_level("WARNING", logger="qode.voice"):
        _, path = v.announce(voice.Call("A", 42, "2"), "en")
    assert "counter.wav" in caplog.text
    with wave.open(str(path)) as w:
        assert w.getframerate() == 22050  # espeak-ng's, not the clips' 16 kHz
    assert sox_stat(path)["RMS amplitude"] > SILENT_RMS


def test_clips_of_another_sample_format_are_refused_by_name(tmp_path):
    folder = tmp_path / "clips"
    clip_folder(folder)
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(folder / "4.wav"), "synth", "0.1",
                    "sine", "500"], check=True)
    with pytest.raises(voice.ClipError, match=r"4\.wav is 1 channel\(s\), 16-bit, 8000 Hz.*same sample format"):
        voice.stitch(folder, ["ticket", "letter_a", "4", "2"])


def test_a_counter_name_clips_cannot_say_falls_back(tmp_path):
    with pytest.raises(voice.ClipError, match="clips cover"):
        voice.clip_names(voice.Call("A", 1, "Caisse é"))


# ---- the cache ---------------------------------------------------------------------------------

def test_the_cache_keeps_an_announcement_and_stays_in_its_bounds(tmp_path):
    v = made(tmp_path, {"VOICE_CACHE_BYTES": 250_000, "VOICE_CACHE_AGE": 3600})
    key, path = v.announce(voice.Call("A", 1, "1"), "en")
    assert v.announce(voice.Call("A", 1, "1"), "en") == (key, path)  # the second time: from the cache
    for n in range(2, 6):
        v.announce(voice.Call("A", n, "1"), "en")
    sizes = [p.stat().st_size for p in v.cache.glob("*.wav")]
    assert sum(sizes) <= 250_000 and len(sizes) >= 1
    assert not path.exists()  # the oldest went first
    newest = sorted(v.cache.glob("*.wav"), key=lambda p: p.stat().st_mtime)[-1]
    os.utime(newest, (1, 1))  # made long ago
    assert v.prune() == 1 and not newest.exists()


# ---- the endpoint ------------------------------------------------------------------------------

def an_app(tmp_path, **settings):
    return create_app({
        "QODE_DATA_DIR": str(tmp_path / "data"), "QODE_ADMIN_TOKEN": ADMIN_TOKEN, "QODE_TIMEZONE": "UTC",
        "QODE_JOIN_RATE_LIMIT": "off", "QODE_AUTH_RATE_LIMIT": "off", "QODE_SCHEDULER": "off", **NO_CAPS,
        **settings,
    })


def a_call(client, counter: str = "2") -> tuple[dict, dict]:
    """A queue with one called ticket: (the queue with host headers, the public call)."""
    queue = client.post("/api/queues", json={"name": "Front", "prefix": "A"}, headers=admin()).get_json()
    queue["headers"] = {"Authorization": f"Bearer {queue['host_token']}"}
    for _ in range(2):
        assert client.post(f"/api/queues/{queue['id']}/tickets", json={}, headers=admin()).status_code == 201
    called = client.post(f"/api/queues/{queue['id']}/call-next", json={"counter": counter},
                         headers=queue["headers"])
    assert called.status_code == 200
    calls = client.get(f"/api/queues/{queue['id']}").get_json()["calls"]
    return queue, {**calls[0], "ticket": called.get_json()}


def is_json_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.data[:200]
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == code


def test_a_current_call_is_spoken_and_cached_by_etag(tmp_path):
    client = an_app(tmp_path).test_client()
    queue, call = a_call(client)
    url = f"/api/queues/{queue['id']}/calls/{call['seq']}/voice"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert first.data[:4] == b"RIFF" and first.headers["Cache-Control"].startswith("public")
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    # a recall is a new seq, spoken again; the old seq is no longer a current call
    recalled = client.post(f"/api/tickets/{call['ticket']['id']}/recall", json={}, headers=queue["headers"])
    assert recalled.status_code == 200
    new = client.get(f"/api/queues/{queue['id']}").get_json()["calls"][0]
    assert new["seq"] > call["seq"]
    assert client.get(f"/api/queues/{queue['id']}/calls/{new['seq']}/voice").status_code == 200
    is_json_error(client.get(url), 404, "call_not_found")
    # a finished ticket is no current call
    done = client.post(f"/api/tickets/{call['ticket']['id']}/complete", json={}, headers=queue["headers"])
    assert done.status_code == 200
    is_json_error(client.get(f"/api/queues/{queue['id']}/calls/{new['seq']}/voice"), 404, "call_not_found")


def test_bad_input_gets_json_errors(tmp_path):
    client = an_app(tmp_path).test_client()
    queue, call = a_call(client)
    other, _ = a_call(client, "3")
    base = f"/api/queues/{queue['id']}/calls"
    is_json_error(client.get("/api/queues/not-a-uuid/calls/1/voice"), 404, "queue_not_found")
    is_json_error(client.get("/api/queues/00000000-0000-4000-8000-000000000000/calls/1/voice"), 404,
                  "queue_not_found")
    for seq in ("x", "-1", "1.5", "9" * 40, "%00", "1e3"):
        is_json_error(client.get(f"{base}/{seq}/voice"), 404, "call_not_found")
    is_json_error(client.get(f"{base}/0/voice"), 404, "call_not_found")
    # the seq of another queue's call is not this queue's
    other_seq = client.get(f"/api/queues/{other['id']}").get_json()["calls"][0]["seq"]
    is_json_error(client.get(f"{base}/{other_seq}/voice"), 404, "call_not_found")
    # the seq of an event that is no call (a join)
    is_json_error(client.get(f"{base}/{call['seq'] - 1}/voice"), 404, "call_not_found")
    assert client.post(f"{base}/{call['seq']}/voice").status_code == 405
    # the sample: admin only, a known language
    anonymous = client.get("/api/voice/sample")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"]
    is_json_error(client.get("/api/voice/sample?language=xx", headers=admin()), 422, "invalid_query")
    sample = client.get("/api/voice/sample?language=fr", headers=admin())
    assert sample.status_code == 200 and sample.mimetype == "audio/wav"


def test_voice_off_is_a_clear_404(tmp_path):
    client = an_app(tmp_path, QODE_VOICE="off").test_client()
    queue, call = a_call(client)
    is_json_error(client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice"), 404, "voice_off")
    is_json_error(client.get("/api/voice/sample", headers=admin()), 404, "voice_off")


def test_a_flood_from_one_address_is_refused(tmp_path):
    client = an_app(tmp_path, QODE_VOICE_RATE_LIMIT="5/minute").test_client()
    queue, call = a_call(client)
    answers = [client.get(f"/api/queues/{queue['id']}/calls/{call['seq'] + n % 3}/voice").status_code
               for n in range(8)]
    assert answers[:5].count(429) == 0 and answers[5:] == [429, 429, 429]
    refused = client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice")
    is_json_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    # another address still gets its audio
    other = client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice",
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def slow_espeak(folder: Path, seconds: float, release: Path | None = None) -> Path:
    """An espeak-ng that first sleeps `seconds` (a slow box), as QODE_VOICE_COMMAND; with `release`,
    it waits for that file to exist instead, for at most about `seconds`."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "slow-espeak-ng"
    if release is None:
        wait = f"sleep {seconds}\n"
    else:
        wait = (f"i=0\nwhile [ ! -e {release} ] && [ $i -lt {int(seconds * 20)} ]; do\n"
                f"  sleep 0.05\n  i=$((i + 1))\ndone\n")
    # it leaves a mark when it starts, so a test knows the synthesis is under way
    script.write_text(f"#!/bin/sh\ntouch {folder / 'started'}\n{wait}"
                      f"exec {shutil.which('espeak-ng')} \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_synth_past_its_time_limit_is_a_503(tmp_path):
    command = slow_espeak(tmp_path / "bin", 5)
    client = an_app(tmp_path, QODE_VOICE_COMMAND=str(command), QODE_VOICE_TIMEOUT="1").test_client()
    queue, call = a_call(client)
    refused = client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice")
    is_json_error(refused, 503, "voice_timeout")
    assert refused.headers["Retry-After"]
    assert not list((tmp_path / "data" / "voice" / "cache").glob("*.wav"))  # nothing half-written


def test_a_missing_espeak_is_a_503(tmp_path):
    client = an_app(tmp_path, QODE_VOICE_COMMAND=str(tmp_path / "no-such-espeak")).test_client()
    queue, call = a_call(client)
    is_json_error(client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice"), 503, "voice_failed")



def test_a_cache_that_cannot_be_written_is_a_503_not_a_500(tmp_path):
    """A full or read-only card (here: the cache folder's place taken by a file) makes each uncached
    call's audio a clear 503; the TV then chimes, and the box keeps serving."""
    client = an_app(tmp_path).test_client()
    queue, call = a_call(client)
    voice_dir = tmp_path / "data" / "voice"
    voice_dir.mkdir(parents=True, exist_ok=True)
    (voice_dir / "cache").write_text("not a folder")
    refused = client.get(f"/api/queues/{queue['id']}/calls/{call['seq']}/voice")
    is_json_error(refused, 503, "voice_failed")
    assert refused.headers["Retry-After"]
    assert client.get(f"/api/queues/{queue['id']}").status_code == 200

def test_more_synths_than_slots_wait_then_are_busy(tmp_path):
    v = made(tmp_path, {"VOICE_CONCURRENCY": 1, "VOICE_TIMEOUT": 1})
    slot = v.slots()
    assert slot.acquire(timeout=1)  # another announcement is being made
    try:
        with pytest.raises(voice.VoiceError) as refused:
            v.announce(voice.Call("A", 1, "1"), "en")
        assert refused.value.code == "voice_busy" and refused.value.status == 503
        assert not list(v.cache.glob("*.wav"))
    finally:
        slot.release()
    v.timeout = 10  # the busy wait is over: the real espeak-ng run below may take a loaded machine's time
    assert v.announce(voice.Call("A", 1, "1"), "en")[1].is_file()  # once the slot is free


def test_settings_refuse_what_cannot_work():
    from qode import config

    with pytest.raises(config.SettingError, match="QODE_VOICE_SECOND_LANGUAGE"):
        config.load({"QODE_VOICE_SECOND_LANGUAGE": "xx"})
    with pytest.raises(config.SettingError, match="QODE_VOICE_COMMAND"):
        config.load({"QODE_VOICE_COMMAND": "espeak-ng --evil"})
    loaded = config.load({"QODE_VOICE_SECOND_LANGUAGE": "AR", "QODE_VOICE_CACHE_BYTES": "off"})
    assert loaded["VOICE_SECOND_LANGUAGE"] == "ar" and loaded["VOICE_CACHE_BYTES"] is None


# ---- a real server: the worker answers while speech is made ------------------------------------

def test_the_worker_answers_while_an_announcement_is_made(tmp_path):
    release = tmp_path / "release"  # the slow espeak-ng goes on only once the checks below are done
    command = slow_espeak(tmp_path / "bin", 60, release=release)
    server = ServerProcess(tmp_path / "served", env={"QODE_VOICE_COMMAND": str(command),
                                                     "QODE_VOICE_TIMEOUT": "120"}).start()
    try:
        s = requests.Session()
        queue = s.post(f"{server.url}/api/queues", json={"name": "Front", "prefix": "A"},
                       headers=admin()).json()
        s.post(f"{server.url}/api/queues/{queue['id']}/tickets", json={}, headers=admin()).raise_for_status()
        s.post(f"{server.url}/api/queues/{queue['id']}/call-next", json={"counter": "2"},
               headers={"Authorization": f"Bearer {queue['host_token']}"}).raise_for_status()
        seq = s.get(f"{server.url}/api/queues/{queue['id']}").json()["calls"][0]["seq"]
        spoken: dict[str, object] = {}

        def fetch() -> None:
            r = requests.get(f"{server.url}/api/queues/{queue['id']}/calls/{seq}/voice", timeout=120)
            spoken["status"], spoken["body"] = r.status_code, r.content

        slow = threading.Thread(target=fetch)
        slow.start()
        started = tmp_path / "bin" / "started"
        try:
            # espeak-ng (the slow one) has been started by the server (or the request ended without it)
            wait_until(lambda: started.exists() or not slow.is_alive(), timeout=30)
            assert started.exists(), spoken
            # while espeak-ng waits in its subprocess (until released, at most a minute, longer than
            # any of these requests may take): the worker (one gevent worker) still answers, and
            # the announcement has not come back yet
            for _ in range(5):
                assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
                assert requests.get(f"{server.url}/api/queues/{queue['id']}", timeout=10).status_code == 200
            assert "status" not in spoken
        finally:
            release.touch()
        slow.join(120)
        assert spoken["status"] == 200 and spoken["body"][:4] == b"RIFF"
        with wave.open(io.BytesIO(spoken["body"])) as w:
            assert w.getnframes() > w.getframerate()  # more than a second of speech
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
