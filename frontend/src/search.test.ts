import { describe, expect, it } from "vitest";
import { highlightSegments, matchedTerms } from "./search";

describe("matchedTerms", () => {
  it("keeps words and phrase words, drops excluded words and the or operator", () => {
    expect(matchedTerms('Violet "harmonica riff" -boring or PURPLE -"bad words"')).toEqual(["violet", "harmonica", "riff", "purple"]);
  });

  it("splits on punctuation like the database does, keeps usernames whole", () => {
    expect(matchedTerms("don't alice_01, hi!")).toEqual(["don", "t", "alice_01", "hi"]);
    expect(matchedTerms('"unclosed phrase')).toEqual(["unclosed", "phrase"]);
    expect(matchedTerms("  ")).toEqual([]);
  });
});

describe("highlightSegments", () => {
  const marked = (text: string, terms: string[]) =>
    highlightSegments(text, terms)
      .filter((s) => s.match)
      .map((s) => s.text);

  it("marks whole words in any case, never parts of words", () => {
    expect(marked("Violet and violets, VIOLET!", ["violet"])).toEqual(["Violet", "VIOLET"]);
    expect(marked("ÉCLAIR éclair", ["éclair"])).toEqual(["ÉCLAIR", "éclair"]);
  });

  it("keeps the whole text, in order", () => {
    const segments = highlightSegments("the blue guitar", ["guitar", "the"]);
    expect(segments).toEqual([
      { text: "the", match: true },
      { text: " blue ", match: false },
      { text: "guitar", match: true },
    ]);
    expect(highlightSegments("nothing here", []).map((s) => s.text).join("")).toBe("nothing here");
  });

  it("treats regex characters in terms literally", () => {
    expect(marked("a+b (c) d.e", ["b", "c", "d"])).toEqual(["b", "c", "d"]);
    expect(() => highlightSegments("x", ["(", "[", "*"])).not.toThrow();
  });
});
