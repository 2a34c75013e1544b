//! `/metrics`: the process's Prometheus registry (the `prometheus` crate, text format only)
//! and the HTTP series the request middleware keeps. Other parts of the process add their
//! own series with [`Metrics::register`]; values that can be read when scraped (pool state,
//! queue depths, process memory) are [`OnScrape`] collectors rather than kept up to date.
//!
//! Label values are fixed words or route *patterns* (`/api/v1/incidents/{id}`), never a
//! raw path, a user's input or an organization: the number of series stays bounded
//! whatever clients send (docs/operations.md lists them).

use std::time::Duration;

use actix_web::http::Method;
use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The label of requests no route matched (404s on unknown paths, whatever the path).
pub const UNMATCHED: &str = "unmatched";

/// Buckets of `servicedesk_http_request_duration_seconds`: 1 ms to 10 s.
pub const REQUEST_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A metric could not be defined or registered (a bad or duplicate name: a bug), or the
/// registry could not be written out.
#[derive(Debug, thiserror::Error)]
#[error("metrics: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

/// The registry behind `/metrics` and the HTTP request series.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// `servicedesk_http_requests_total{class}`, one counter per status class 1xx–5xx.
    by_class: [IntCounter; 5],
    duration: HistogramVec,
    in_flight: IntGauge,
}

impl Metrics {
    /// A registry with the HTTP series: `servicedesk_http_requests_total{class}`,
    /// `servicedesk_http_request_duration_seconds{route,method,class}` and
    /// `servicedesk_http_in_flight`.
    ///
    /// # Errors
    /// Only if a definition is invalid (a bug).
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "servicedesk_http_requests_total",
                "HTTP requests served, by status class.",
            ),
            &["class"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        let by_class = [
            requests.get_metric_with_label_values(&["1xx"])?,
            requests.get_metric_with_label_values(&["2xx"])?,
            requests.get_metric_with_label_values(&["3xx"])?,
            requests.get_metric_with_label_values(&["4xx"])?,
            requests.get_metric_with_label_values(&["5xx"])?,
        ];
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "servicedesk_http_request_duration_seconds",
                "Time spent serving HTTP requests, by route pattern, method and status class.",
            )
            .buckets(REQUEST_BUCKETS.to_vec()),
            &["route", "method", "class"],
        )?;
        registry.register(Box::new(duration.clone()))?;
        let in_flight = IntGauge::new("servicedesk_http_in_flight", "Requests being served.")?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            registry,
            by_class,
            duration,
            in_flight,
        })
    }

    /// The registry, for series kept elsewhere (workers register their counters here).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Adds a collector (e.g. an [`OnScrape`]) to `/metrics`.
    ///
    /// # Errors
    /// When one of its names is already registered.
    pub fn register(&self, collector: impl Collector + 'static) -> Result<(), MetricsError> {
        Ok(self.registry.register(Box::new(collector))?)
    }

    /// A request started.
    pub(crate) fn started(&self) {
        self.in_flight.inc();
    }

    /// A request that started ended without a response (an error the framework answers).
    pub(crate) fn abandoned(&self) {
        self.in_flight.dec();
    }

    /// A request was answered: `route` is the matched pattern ([`UNMATCHED`] when none).
    pub(crate) fn finished(&self, route: &str, method: &Method, status: u16, took: Duration) {
        self.in_flight.dec();
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].inc();
        self.duration
            .with_label_values(&[route, method_label(method), CLASSES[class]])
            .observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition of every registered series.
    ///
    /// # Errors
    /// When a collector produced an inconsistent family (a bug).
    pub fn render(&self) -> Result<String, MetricsError> {
        let families = self.registry.gather();
        let mut out = Vec::with_capacity(16 * 1024);
        TextEncoder::new().encode(&families, &mut out)?;
        // The text encoder writes only UTF-8 (names are ASCII, help and labels are &str).
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The method as a label: the standard ones by name, anything else (extension methods a
/// client may invent) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The kind of an [`OnScrape`] series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A total that only grows (its name ends in `_total`).
    Counter,
}

/// One unlabelled series of an [`OnScrape`] collector: name, help, kind.
pub type Series = (&'static str, &'static str, Kind);

/// The value-reading closure of an [`OnScrape`] collector.
type Read = Box<dyn Fn() -> Vec<Option<f64>> + Send + Sync>;

/// Unlabelled series whose values are read when `/metrics` is scraped, by one closure
/// returning one value per series in order. `None` leaves that series out of this scrape
/// (e.g. the database could not be asked).
pub struct OnScrape {
    series: Vec<(Desc, MetricType)>,
    read: Read,
}

impl std::fmt::Debug for OnScrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnScrape")
            .field(
                "series",
                &self
                    .series
                    .iter()
                    .map(|(d, _)| &d.fq_name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl OnScrape {
    /// A collector of `series`, read by `read`.
    ///
    /// # Errors
    /// When a name or help text is invalid (a bug).
    pub fn new(
        series: &[Series],
        read: impl Fn() -> Vec<Option<f64>> + Send + Sync + 'static,
    ) -> Result<Self, MetricsError> {
        let series = series
            .iter()
            .map(|&(name, help, kind)| {
                let desc = Desc::new(name.into(), help.into(), Vec::new(), Default::default())?;
                let kind = match kind {
                    Kind::Gauge => MetricType::GAUGE,
                    Kind::Counter => MetricType::COUNTER,
                };
                Ok((desc, kind))
            })
            .collect::<Result<_, prometheus::Error>>()?;
        Ok(Self {
            series,
            read: Box::new(read),
        })
    }
}

impl Collector for OnScrape {
    fn desc(&self) -> Vec<&Desc> {
        self.series.iter().map(|(d, _)| d).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let values = (self.read)();
        self.series
            .iter()
            .zip(values)
            .filter_map(|((desc, kind), value)| {
                let value = value?;
                let mut metric = proto::Metric::default();
                if *kind == MetricType::COUNTER {
                    let mut c = proto::Counter::default();
                    c.set_value(value);
                    metric.set_counter(c);
                } else {
                    let mut g = proto::Gauge::default();
                    g.set_value(value);
                    metric.set_gauge(g);
                }
                let mut family = MetricFamily::default();
                family.set_name(desc.fq_name.clone());
                family.set_help(desc.help.clone());
                family.set_field_type(*kind);
                family.set_metric(vec![metric]);
                Some(family)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_method_and_class() {
        let m = Metrics::new().unwrap();
        m.started();
        m.finished(
            "/api/v1/incidents/{id}",
            &Method::GET,
            200,
            Duration::from_millis(3),
        );
        m.started();
        m.finished(
            UNMATCHED,
            &Method::from_bytes(b"BREW").unwrap(),
            404,
            Duration::from_millis(1),
        );
        let text = m.render().unwrap();
        assert!(
            text.contains("servicedesk_http_requests_total{class=\"2xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("servicedesk_http_requests_total{class=\"4xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "servicedesk_http_request_duration_seconds_count{class=\"2xx\",method=\"GET\",route=\"/api/v1/incidents/{id}\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "servicedesk_http_request_duration_seconds_count{class=\"4xx\",method=\"other\",route=\"unmatched\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("servicedesk_http_in_flight 0"), "{text}");
    }

    #[test]
    fn on_scrape_series_are_read_when_rendered() {
        let m = Metrics::new().unwrap();
        let n = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(7));
        let read = n.clone();
        m.register(
            OnScrape::new(
                &[
                    ("test_gauge", "A gauge.", Kind::Gauge),
                    ("test_things_total", "A counter.", Kind::Counter),
                    ("test_missing", "Left out.", Kind::Gauge),
                ],
                move || {
                    let v = read.load(std::sync::atomic::Ordering::Relaxed) as f64;
                    vec![Some(v), Some(v * 2.0), None]
                },
            )
            .unwrap(),
        )
        .unwrap();
        let text = m.render().unwrap();
        assert!(
            text.contains("# TYPE test_gauge gauge\ntest_gauge 7\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE test_things_total counter\ntest_things_total 14\n"),
            "{text}"
        );
        assert!(!text.contains("test_missing"), "{text}");
        n.store(8, std::sync::atomic::Ordering::Relaxed);
        assert!(m.render().unwrap().contains("test_gauge 8\n"));
    }

    #[test]
    fn a_name_is_registered_once() {
        let m = Metrics::new().unwrap();
        let again = OnScrape::new(
            &[("servicedesk_http_in_flight", "Again.", Kind::Gauge)],
            Vec::new,
        );
        assert!(m.register(again.unwrap()).is_err());
    }
}
