import Testing

@testable import ConfigModel

/// One test per Python 2 `SafeConfigParser` quirk the original's files rely on (reference §3.2).
@Suite("INI dialect of backup.cfg")
struct INIDialectTests {
    func parse(_ text: String) throws -> INIDocument { try INIParser.parse(text, file: "test.cfg") }

    @Test func colonAndEqualsSeparators() throws {
        let document = try parse("[s]\na: 1\nb = 2\nc:3\nd=4\nurl: https://zfssa:215/x=y\n")
        #expect(try document.value(section: "s", key: "a") == "1")
        #expect(try document.value(section: "s", key: "b") == "2")
        #expect(try document.value(section: "s", key: "c") == "3")
        #expect(try document.value(section: "s", key: "d") == "4")
        #expect(try document.value(section: "s", key: "url") == "https://zfssa:215/x=y")
    }

    @Test func keysAreLowerCasedSectionsKeepCase() throws {
        let document = try parse("[OrCl]\nBackupDest: /nfs\n")
        #expect(document.sectionNames == ["OrCl"])
        #expect(document.section("OrCl")?.keys == ["backupdest"])
        #expect(try document.value(section: "OrCl", key: "BACKUPDEST") == "/nfs")
        #expect(document.section("orcl") == nil)
    }

    @Test func fullLineCommentsWithHashSemicolonAndRem() throws {
        let document = try parse("# c1\n; c2\n[s]\n#x: 1\n;y: 2\nrem z: 3\nREM also\nremark: kept\n")
        #expect(document.section("s")?.keys == ["remark"])
    }

    @Test func inlineCommentNeedsWhitespaceBeforeSemicolon() throws {
        let document = try parse("[s]\na: select 1 ; from dual\nb: FREQ=HOURLY;BYHOUR=21\nc: x;y ;z\n")
        #expect(try document.value(section: "s", key: "a") == "select 1")
        #expect(try document.value(section: "s", key: "b") == "FREQ=HOURLY;BYHOUR=21")
        // Only the FIRST semicolon is examined, as in Python 2.
        #expect(try document.value(section: "s", key: "c") == "x;y ;z")
    }

    @Test func inlineCommentsOnlyOnFirstLine() throws {
        let document = try parse("[s]\na: one\n  two ; still value\n")
        #expect(try document.value(section: "s", key: "a") == "one\ntwo ; still value")
    }

    @Test func continuationLinesAreStrippedAndJoined() throws {
        let document = try parse("[s]\na: first\n    second\n\tthird\nb: 2\n")
        #expect(try document.value(section: "s", key: "a") == "first\nsecond\nthird")
    }

    @Test func blankLinesInsideValuesAreDropped() throws {
        let document = try parse("[s]\na: first\n\n    second\n   \n    third\n")
        #expect(try document.value(section: "s", key: "a") == "first\nsecond\nthird")
    }

    @Test func indentedHashLineIsValueText() throws {
        let document = try parse("[template]\nfullrestore: run {\n  # Spfile\n  restore spfile;\n  }\n")
        #expect(try document.value(section: "template", key: "fullrestore") == "run {\n# Spfile\nrestore spfile;\n}")
    }

    @Test func emptyFirstLineStartsWithNewline() throws {
        let document = try parse("[template]\ncdbinitora:\n  *.enable_pluggable_database=${cdb}\n")
        #expect(try document.value(section: "template", key: "cdbinitora") == "\n*.enable_pluggable_database=${cdb}")
    }

    @Test func interpolationFromSectionAndDefault() throws {
        let document = try parse("[DEFAULT]\nbase: /nfs\n[s]\nsub: backup\npath: %(base)s/%(sub)s\n")
        #expect(try document.value(section: "s", key: "path") == "/nfs/backup")
    }

    @Test func interpolationNamesAreCaseInsensitiveAndNested() throws {
        let document = try parse("[s]\na: x\nb: %(A)s-y\nc: %(b)s-z\n")
        #expect(try document.value(section: "s", key: "c") == "x-y-z")
    }

    @Test func doublePercentIsLiteralPercent() throws {
        let document = try parse("[s]\nq: select 1 from t where a like 'X%%'\nf: '%%U'\n")
        #expect(try document.value(section: "s", key: "q") == "select 1 from t where a like 'X%'")
        #expect(try document.value(section: "s", key: "f") == "'%U'")
    }

    @Test func lonePercentIsAnErrorNamingTheKey() throws {
        let document = try parse("[orcl]\n\ncustomverifydate: select 100% from dual\n")
        let error = #expect(throws: INIError.self) { try document.value(section: "orcl", key: "customverifydate") }
        #expect(error?.code == .badInterpolation)
        #expect(error?.line == 3)
        #expect(error?.description.contains("test.cfg:3: [orcl] customverifydate") == true)
    }

    @Test func missingInterpolationKeyIsAnError() throws {
        let document = try parse("[s]\na: %(nothere)s\n")
        let error = #expect(throws: INIError.self) { try document.value(section: "s", key: "a") }
        #expect(error?.code == .missingInterpolationKey)
    }

    @Test func interpolationLoopIsAnError() throws {
        let document = try parse("[s]\na: %(b)s\nb: %(a)s\n")
        let error = #expect(throws: INIError.self) { try document.value(section: "s", key: "a") }
        #expect(error?.code == .interpolationDepth)
    }

    @Test func exponentialReferenceFanOutIsAnErrorNotAHang() throws {
        // Each level refers to the one below ten times: ten levels would expand to 10^9 references (and, with a
        // non-empty leaf, gigabytes). Python 2 would exhaust the machine; we stop at a budget and name the key.
        var text = "[s]\nk0: \n"
        for level in 1...9 {
            text += "k\(level): " + String(repeating: "%(k\(level - 1))s", count: 10) + "\n"
        }
        let document = try parse(text)
        let error = #expect(throws: INIError.self) { try document.value(section: "s", key: "k9") }
        #expect(error?.code == .interpolationTooLarge)
        #expect(error?.key == "k9")
        #expect(error?.line == 11)
        // A long but reasonable chain still works.
        #expect(try document.value(section: "s", key: "k2") == "")
    }

    @Test(.timeLimit(.minutes(1)))
    func aLineWithAMillionTrailingBlanksParses() throws {
        // Found by Scripts/fuzz.sh: trimming took time quadratic in the blanks (80 kB: 25 s; a million: hours).
        let document = try parse("[s]\nkey: value" + String(repeating: " ", count: 1_000_000) + "\n")
        #expect(try document.value(section: "s", key: "key") == "value")
    }

    @Test func longValuesReferencedManyTimesStopAtTheBudget() throws {
        // Found by Scripts/fuzz.sh: long values expanded many times took seconds per key, because each expansion
        // reads the whole value again while the result stays small. The work (bytes read) has its own budget now.
        let long = String(repeating: "%%", count: 50_000)
        let document = try parse("[s]\nlong: \(long)\nshort: " + String(repeating: "%(long)s", count: 30) + "\n")
        let error = #expect(throws: INIError.self) { try document.value(section: "s", key: "short") }
        #expect(error?.code == .interpolationTooLarge)
        #expect(error?.key == "short")
        #expect(error?.detail.contains("read more than") == true, "\(error?.detail ?? "")")
    }

    @Test func defaultsAppearInEverySection() throws {
        let document = try parse("[DEFAULT]\nx: 1\n[a]\n[b]\nx: 2\n")
        #expect(try document.value(section: "a", key: "x") == "1")
        #expect(try document.value(section: "b", key: "x") == "2")
        #expect(document.sectionNames == ["a", "b"])
    }

    @Test func lastDuplicateKeyWins() throws {
        let document = try parse("[dbparams]\nlasttime: 2016-11-08 21:00:00\nlasttime: 2016-11-08 22:39:45\n")
        #expect(try document.value(section: "dbparams", key: "lasttime") == "2016-11-08 22:39:45")
    }

    @Test func quotedEmptyStringIsEmpty() throws {
        let document = try parse("[s]\na: \"\"\nb: \"x\"\n")
        #expect(try document.value(section: "s", key: "a") == "")
        #expect(try document.value(section: "s", key: "b") == "\"x\"")
    }

    @Test func keyWithoutValueIsEmpty() throws {
        let document = try parse("[s]\nsectionsize:\nother =\n")
        #expect(try document.value(section: "s", key: "sectionsize") == "")
        #expect(try document.value(section: "s", key: "other") == "")
    }

    @Test func textAfterSectionHeaderIsIgnored() throws {
        let document = try parse("[orcl] ; the demo database\na: 1\n")
        #expect(document.sectionNames == ["orcl"])
    }

    @Test func carriageReturnsAreTolerated() throws {
        let document = try parse("[s]\r\na: 1\r\n")
        #expect(try document.value(section: "s", key: "a") == "1")
    }

    @Test func missingSectionHeaderIsAnError() throws {
        let error = #expect(throws: INIError.self) { try parse("a: 1\n[s]\n") }
        #expect(error?.code == .missingSectionHeader)
        #expect(error?.line == 1)
    }

    @Test func unparsableLineIsAnErrorWithItsLine() throws {
        let (_, errors) = INIParser.parseCollectingErrors("[s]\na: 1\njust words\nb: 2\n  \n:novalue\n", file: "f.cfg")
        #expect(errors.map(\.line) == [3, 6])
        #expect(errors.allSatisfy { $0.code == .unparsableLine })
    }

    @Test func duplicateSectionIsReportedWithBothLines() throws {
        let (_, errors) = INIParser.parseCollectingErrors(
            "[orcl]\ndbid: 1\n[generic]\n[orcl]\ndbid: 2\n", file: "f.cfg")
        #expect(errors.count == 1)
        #expect(errors.first?.code == .duplicateSection)
        #expect(errors.first?.line == 4)
        #expect(errors.first?.detail.contains("line 1") == true)
        let (document, _) = INIParser.parseCollectingErrors("[orcl]\ndbid: 1\n[orcl]\ndbid: 2\n", file: "f.cfg")
        #expect(try document.value(section: "orcl", key: "dbid") == "1")  // the duplicate is not merged
    }
}
