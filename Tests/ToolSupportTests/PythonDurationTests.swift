import Testing

@testable import ToolSupport

@Suite("Python timedelta text")
struct PythonDurationTests {
    @Test func matchesPythonOutput() {
        #expect(PythonDuration.format(seconds: 46, microseconds: 689_587) == "0:00:46.689587")
        #expect(PythonDuration.format(seconds: 10) == "0:00:10")
        #expect(PythonDuration.format(seconds: 237, microseconds: 763_734) == "0:03:57.763734")
        #expect(PythonDuration.format(seconds: 86_400 + 3_723) == "1 day, 1:02:03")
        #expect(PythonDuration.format(seconds: 3 * 86_400) == "3 days, 0:00:00")
        #expect(PythonDuration.format(seconds: -10) == "-1 day, 23:59:50")
        #expect(PythonDuration.format(.milliseconds(1500)) == "0:00:01.500000")
    }
}
