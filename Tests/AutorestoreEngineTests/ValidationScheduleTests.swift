import Foundation
import Testing

@testable import AutorestoreEngine

@Suite("Validation scheduling, bit-exact with the original")
struct ValidationScheduleTests {
    @Test(arguments: [
        ("orcl", Int64(-11_869_355_714_423_694), Int64(6), Int64(3)),
        ("cdb1", Int64(5_473_387_297_959_946_106), Int64(26), Int64(0)),
        ("olddb", Int64(-1_241_789_949_860_481_100), Int64(20), Int64(5)),
        ("ORCL", Int64(-3_830_745_016_140_316_750), Int64(20), Int64(0)),
        ("", Int64(0), Int64(0), Int64(0)),
    ])
    func specTestVectors(text: String, hash: Int64, mod30: Int64, mod7: Int64) {
        #expect(Python2Hash.hash(text) == hash)
        #expect(Python2Hash.floorModulo(hash, 30) == mod30)
        #expect(Python2Hash.floorModulo(hash, 7) == mod7)
    }

    @Test func minusOneBecomesMinusTwo() {
        // Python maps a hash of -1 to -2; check the rule on the final step directly.
        #expect(Python2Hash.floorModulo(-7, 3) == 2)
        #expect(Python2Hash.floorModulo(7, 3) == 1)
    }

    @Test func workedExampleFromTheSpec() {
        // 2016-11-08 is UTC day 17113; 17113 mod 30 = 13; orcl's hash mod 30 = 6 → next in 23 days.
        let now = Date(timeIntervalSince1970: 17_113 * 86_400 + 12 * 3_600)
        let utc = TimeZone(identifier: "UTC")!
        let plan = ValidationSchedule.plan(key: "orcl", modulus: 30, now: now, timeZone: utc)
        #expect(plan == .init(validateToday: false, daysToNext: 23, nextDate: "2016-12-01"))
        #expect(
            ValidationSchedule.listingLine(database: "orcl", key: "orcl", modulus: 30, now: now, timeZone: utc)
                == "orcl: 2016-12-01 (in 23 days)")
    }

    @Test func validationDayHasFullModulusToNext() {
        // Day 17106: 17106 mod 30 = 6 = orcl's residue.
        let now = Date(timeIntervalSince1970: 17_106 * 86_400 + 60)
        let plan = ValidationSchedule.plan(key: "orcl", modulus: 30, now: now, timeZone: TimeZone(identifier: "UTC")!)
        #expect(plan.validateToday)
        #expect(plan.daysToNext == 30)
        #expect(ValidationSchedule.modulus(days: 30).shouldValidate(key: "orcl", now: now))
    }

    @Test func modeSelectionAndChance() {
        #expect(ValidationSchedule(modulus: 30, chance: 5) == .modulus(days: 30))
        #expect(ValidationSchedule(modulus: 0, chance: 5) == .chance(oneIn: 5))
        #expect(ValidationSchedule(modulus: -1, chance: 0) == .never)
        let now = Date()
        #expect(ValidationSchedule.chance(oneIn: 5).shouldValidate(key: "x", now: now, random: { $0 }))
        #expect(!ValidationSchedule.chance(oneIn: 5).shouldValidate(key: "x", now: now, random: { _ in 1 }))
        #expect(ValidationSchedule.chance(oneIn: 1).shouldValidate(key: "x", now: now))
        #expect(!ValidationSchedule.never.shouldValidate(key: "x", now: now, random: { $0 }))
    }

    @Test func everyDayOfACycleValidatesExactlyOnce() {
        let start = Date(timeIntervalSince1970: 17_000 * 86_400)
        for key in ["orcl", "cdb1", "olddb", "cdb1-shifted"] {
            let days = (0..<7).filter {
                ValidationSchedule.plan(
                    key: key, modulus: 7, now: start.addingTimeInterval(Double($0) * 86_400),
                    timeZone: TimeZone(identifier: "UTC")!
                ).validateToday
            }
            #expect(days.count == 1, "\(key)")
        }
    }
}
