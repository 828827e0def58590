import XCTest

final class LoupeCalibrationTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
